"""OpenAI -> Gemini request translation, one mapping at a time (no network)."""

from __future__ import annotations

from typing import Any

import pytest

from rungway.errors import InvalidRequest
from rungway.providers.gemini_wire import model_path, split_call_id, to_gemini_request
from tests.providers.fake_gemini import WEATHER

HI = [{"role": "user", "content": "Hi"}]


def translate(schema_style: str = "json_schema", **body: Any) -> dict[str, Any]:
    return to_gemini_request({"model": "gemini-2.5-flash", **body}, schema_style).body


def test_system_goes_to_system_instruction_and_roles_map_to_user_and_model() -> None:
    out = translate(
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Use French."}]},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Bonjour"},
            {"role": "user", "content": [{"type": "text", "text": "Again"}]},
        ]
    )
    assert out["systemInstruction"] == {"parts": [{"text": "Be brief."}, {"text": "Use French."}]}
    assert [c["role"] for c in out["contents"]] == ["user", "model", "user"]
    assert out["contents"][1]["parts"] == [{"text": "Bonjour"}]


def test_generation_config_options() -> None:
    out = translate(
        messages=HI, temperature=0.3, top_p=0.9, max_completion_tokens=50, stop="END", n=2, seed=7, user="u"
    )
    assert out["generationConfig"] == {
        "temperature": 0.3,
        "topP": 0.9,
        "seed": 7,
        "maxOutputTokens": 50,
        "candidateCount": 2,
        "stopSequences": ["END"],
    }


def test_images_and_audio_become_inline_or_file_data() -> None:
    content = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
    ]
    parts = translate(messages=[{"role": "user", "content": content}])["contents"][0]["parts"]
    assert parts[1] == {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}
    assert parts[2] == {"fileData": {"fileUri": "https://example.com/cat.jpg", "mimeType": "image/jpeg"}}
    assert parts[3] == {"inlineData": {"mimeType": "audio/wav", "data": "UklGRg=="}}


def test_tools_and_tool_choice() -> None:
    out = translate(messages=HI, tools=[WEATHER], tool_choice="required")
    declaration = out["tools"][0]["functionDeclarations"][0]
    assert declaration["name"] == "get_weather" and declaration["parametersJsonSchema"]["required"] == ["city"]
    assert out["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    named = translate(messages=HI, tools=[WEATHER], tool_choice={"type": "function", "function": {"name": "x"}})
    assert named["toolConfig"]["functionCallingConfig"] == {"mode": "ANY", "allowedFunctionNames": ["x"]}


def test_openapi_style_drops_keys_gemini_schema_refuses() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    out = translate("openapi", messages=HI, tools=[WEATHER], response_format=fmt)
    assert "additionalProperties" not in out["tools"][0]["functionDeclarations"][0]["parameters"]
    assert out["generationConfig"]["responseSchema"] == {"type": "object", "properties": {"a": {"type": "string"}}}
    assert out["generationConfig"]["responseMimeType"] == "application/json"
    assert translate(messages=HI, response_format=fmt)["generationConfig"]["responseJsonSchema"] == schema


def test_tool_round_trip_names_the_function_and_returns_the_thought_signature() -> None:
    messages = [
        *HI,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "fc-1~ts~c2ln", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "fc-1~ts~c2ln", "content": '{"sky": "grey"}'},
        {"role": "tool", "tool_call_id": "fc-1", "content": "plain text"},
    ]
    contents = translate(messages=messages)["contents"]
    assert contents[1]["parts"] == [
        {"functionCall": {"name": "get_weather", "args": {}, "id": "fc-1"}, "thoughtSignature": "c2ln"}
    ]
    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "get_weather", "response": {"sky": "grey"}, "id": "fc-1"}},
        {"functionResponse": {"name": "get_weather", "response": {"content": "plain text"}, "id": "fc-1"}},
    ]
    assert split_call_id("call_1") == ("call_1", None)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"messages": [{"role": "tool", "tool_call_id": "nope", "content": "x"}]}, "no earlier assistant"),
        ({"messages": [{"role": "system", "content": "only"}]}, "at least one user"),
        ({"messages": [{"role": "critic", "content": "x"}]}, "role 'critic'"),
        ({"messages": HI, "tools": [{"type": "web_search"}]}, "function tools"),
        ({"messages": HI, "temperature": "hot"}, "'temperature' must be a number"),
        ({"messages": [{"role": "user", "content": [{"type": "video"}]}]}, "type 'video'"),
    ],
)
def test_bad_requests_are_400s_that_say_why(body: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidRequest, match=match):
        to_gemini_request({"model": "gemini-2.5-flash", **body})


@pytest.mark.parametrize("model", ["../../v1/files", "models/a/b", "", "a b", None, "x" * 200])
def test_model_ids_cannot_leave_their_path_segment(model: Any) -> None:
    with pytest.raises(InvalidRequest, match="model id"):
        model_path(model)
    assert model_path("tunedModels/my-model-1") == "tunedModels/my-model-1"
