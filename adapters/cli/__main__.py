"""`python -m adapters.cli` = `supportbot`."""

from adapters.cli.main import main

main()
