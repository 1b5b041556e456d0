"""Online evaluation: scorers from the evaluation registry judging a sample of a workload's production calls.

The gateway's after-step samples matching calls into a bounded queue (never waiting on the store or a judge);
worker tasks score them off the request path, within a daily cost cap per workload, and store each judgement as
an evaluation score record (source "online") on the call's trace, beside the application's own feedback.
"""
