"""Ingestion: every way a council's or school's extract arrives, landed, normalised and mapped to canonical.

``config`` reads a sources YAML, ``profiles`` the column-mapping profiles, the readers (``text``, ``xlsx``,
``sims_xml``, ``ctf``, ``sql``, ``returns``) turn one source's files into raw frames, ``normalise`` holds
the value rules, ``landing`` the immutable landed copies and their register, and ``run`` ties them
together. No Dagster here: the assets in ``assets/sources.py`` call ``run.ingest_source``.
"""
