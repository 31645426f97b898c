// name: dq_last_ingest
// title: {zh: 最近一次导入, en: The last ingest run}
// description: The last completed ingest run with its files, counts, changes and report (JSON), for the data-quality page.
// stage: quality
// kind: table
// parity_columns: [status]
MATCH (r:IngestRun)
WHERE r.ended_at IS NOT NULL
RETURN r.id AS id, r.started_at AS started_at, r.ended_at AS ended_at, r.status AS status, r.files_json AS files,
       r.counts_json AS counts, r.changes_json AS changes, r.report_json AS report
ORDER BY ended_at DESC
LIMIT 1
