"""The OpenAI Responses API served over the chat pipeline: `/v1/responses`, its stored conversation state
(`previous_response_id`, `item_reference`), and retrieve, delete and input-item listing."""
