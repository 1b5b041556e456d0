"""Models: the catalogue with lifecycle, workload pins and planned upgrades, routing, and failover.

One capability (`install.py`): it answers the gateway's routing door (`RoutePlanner`,
`AttemptObserver` in `rungway.gateway.state`) by composing small stages (`ports.py`): resolve the
requested name (pins, workload policy), admit it (catalogue lifecycle), choose the deployments
(routes and strategies); breakers and incident records observe every try.
"""
