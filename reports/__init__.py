"""The yearly execution report (创新体系执行情况) per city and per cluster: context, charts, writers."""
