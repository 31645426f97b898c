"""The ``ckg`` subcommands, one module per group: each adds its subcommands' options and runs them.

``cli.py`` builds the parser from these and turns every failure into one line; nothing here imports ``cli``
(running ``python cli.py`` loads it as ``__main__``, so a second copy would bring a second ``UsageError``).
"""
