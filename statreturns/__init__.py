"""statreturns: plain domain code (readers, writers, rule engine, generator, warehouse). No Dagster here."""
