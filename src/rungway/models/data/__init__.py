"""Data the models capability ships: the dated model catalogue (catalogue.json)."""
