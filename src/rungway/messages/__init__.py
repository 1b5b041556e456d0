"""The Anthropic Messages API (`POST /v1/messages`, `/v1/messages/count_tokens`) served over the chat pipeline.

A dialect (`gateway/dialect.py`): `request.py` reads a Messages request into a chat body, `answer.py` and
`stream.py` write the chat answer back as a Message (JSON, or Anthropic's event stream), `errors.py` gives
Anthropic's error shape, `count.py` answers count_tokens from the gateway's own estimate, `install.py` joins it.
"""
