"""``python -m netargus ...``: the ``netargus`` command line where its console script is not
installed (the deployment image mounts ``include/`` on ``PYTHONPATH``)."""

from netargus.cli import main

main()
