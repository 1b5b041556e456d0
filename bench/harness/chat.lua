-- wrk script for the gateway benchmarks: one small chat completion per request, with a bearer key.
--   GW_KEY=sk-bench-1 GW_MODEL=mock-model GW_STREAM=0 wrk -t1 -c16 -d10s -s bench/harness/chat.lua http://127.0.0.1:9302
-- Environment: GW_KEY (default sk-bench-1), GW_MODEL (mock-model), GW_STREAM (1 = SSE), GW_PROMPT (see below), GW_PATH
-- (/v1/chat/completions), GW_API (chat; messages, responses or completions: the same call in that API's shape, at its
-- path), GW_HEADERS (more headers, "name:value;name:value"). At the end it prints one line "WRKJSON {...}" (requests, rps, latency
-- percentiles in ms, error counts) that bench/gateway/run.sh and bench/budgets_overhead.py read.
local key = os.getenv("GW_KEY") or "sk-bench-1"
local model = os.getenv("GW_MODEL") or "mock-model"
local stream = os.getenv("GW_STREAM") == "1"

wrk.method = "POST"
wrk.path = os.getenv("GW_PATH") or "/v1/chat/completions"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key
for name, value in string.gmatch(os.getenv("GW_HEADERS") or "", "([^:;]+):([^;]+)") do
  wrk.headers[name] = value
end
wrk.body = string.format(
  '{"model":"%s","messages":[%s,%s],"max_tokens":64,"stream":%s}',
  model,
  '{"role":"system","content":"You are a concise assistant."}',
  '{"role":"user","content":"Summarise in one sentence why gateways meter tokens per request."}',
  stream and "true" or "false")
-- GW_API: the same system and user text in another API's shape (served by translation to chat), same max tokens.
local api = os.getenv("GW_API") or "chat"
local system_text, user_text = "You are a concise assistant.",
  "Summarise in one sentence why gateways meter tokens per request."
local flag = stream and "true" or "false"
if api == "messages" then
  wrk.path = "/v1/messages"
  wrk.headers["anthropic-version"] = "2023-06-01"
  wrk.body = string.format('{"model":"%s","system":"%s","messages":[{"role":"user","content":"%s"}],' ..
    '"max_tokens":64,"stream":%s}', model, system_text, user_text, flag)
elseif api == "responses" then
  wrk.path = "/v1/responses"
  wrk.body = string.format('{"model":"%s","instructions":"%s","input":"%s","max_output_tokens":64,"stream":%s}',
    model, system_text, user_text, flag)
elseif api == "completions" then
  wrk.path = "/v1/completions"
  wrk.body = string.format('{"model":"%s","prompt":"%s %s","max_tokens":64,"stream":%s}',
    model, system_text, user_text, flag)
end
-- GW_PROMPT=NAME: the same call by reference to a registry prompt (bench/gateway/make_prompt.py makes it: the
-- same two messages with the topic as a variable, the model mock-model, label GW_PROMPT_LABEL), padded with
-- spaces to the plain body's size, so an A/B of the two measures the reference and nothing else.
local prompt = os.getenv("GW_PROMPT") or ""
if prompt ~= "" then
  local size = #wrk.body
  wrk.body = string.format(
    '{"prompt":{"id":"%s","label":"%s","variables":{"topic":"gateways meter tokens per request"}},' ..
    '"max_tokens":64,"stream":%s}',
    prompt, os.getenv("GW_PROMPT_LABEL") or "bench", stream and "true" or "false")
  if #wrk.body < size then wrk.body = wrk.body:sub(1, -2) .. string.rep(" ", size - #wrk.body) .. "}" end
end

local function ms(us) return us / 1000 end

done = function(summary, latency, requests)
  local errors = summary.errors
  local fields = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_us":%d', summary.duration),
    string.format('"rps":%.1f', summary.requests / (summary.duration / 1e6)),
    string.format('"p50_ms":%.3f', ms(latency:percentile(50))),
    string.format('"p90_ms":%.3f', ms(latency:percentile(90))),
    string.format('"p99_ms":%.3f', ms(latency:percentile(99))),
    string.format('"max_ms":%.3f', ms(latency.max)),
    string.format('"mean_ms":%.3f', ms(latency.mean)),
    string.format('"err_connect":%d', errors.connect),
    string.format('"err_read":%d', errors.read),
    string.format('"err_write":%d', errors.write),
    string.format('"err_status":%d', errors.status),
    string.format('"err_timeout":%d', errors.timeout),
  }
  io.write("WRKJSON {" .. table.concat(fields, ",") .. "}\n")
end
