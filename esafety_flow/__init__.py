"""esafety_flow: the service edge (settings, bootstrap, CLI, web app and API, Prefect flows).

Nothing here builds an engine, reads settings or imports Prefect at import time.
"""

__all__: list[str] = []
