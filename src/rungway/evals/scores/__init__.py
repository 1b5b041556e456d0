"""Scores: one record for every judgement of a trace or an eval case, wherever it comes from.

An eval run's scorer, a person annotating a trace, an application's end-user thumbs up (`POST /api/scores`,
`rungway.sdk.score`) and later an online scorer all write the same `Score`; continuous evaluation,
fine-tuning sets and A/B tests read them back by trace, run, name and source.
"""
