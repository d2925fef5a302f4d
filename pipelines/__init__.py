"""Dagster Definitions, jobs, schedules, resources, and the statreturns command line."""
