"""Datasets: named, versioned sets of eval cases, per workload or shared.

A version is immutable and identified by the hash of its content (its cases, in order, and its default
assertions), so importing the same cases twice gives the same version. `model` checks and builds cases
from any source (files, the API, production traces), `formats` reads JSONL, CSV, YAML and promptfoo test
files and writes JSONL, `store` and `service` keep versions, `api` and `cli` expose them.
"""
