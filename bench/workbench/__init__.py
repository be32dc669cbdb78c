"""The workbench's benchmarks: the screen pop API in a tenant with 100,000 customers and
2,000,000 messages (suite ``workbench``: suite.py, its data in fill.py) and the desk's first
paint in a browser (suite ``workbench-desk``: first_paint.py)."""
