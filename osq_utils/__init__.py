"""OSQ: analytical report workbook for French social observatories.

Modules follow the data flow: sources -> ingest -> store -> territoires ->
indicateurs -> secret -> present -> batch. A module uses the steps before it,
never the steps after it.
"""

__version__ = "0.1.0"
