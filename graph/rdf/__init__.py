"""RDF for other agencies: the graph in standard vocabularies, streamed, with DCAT/PROV metadata and SHACL."""
