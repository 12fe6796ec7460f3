"""Stage 3's truncation marker: a prompt token count (devserver.generation.tokens) as the API reports it."""

from __future__ import annotations

from devserver.contracts.classroom import EncoderTokens, PromptTokensResponse
from devserver.generation.tokens import PromptCount


def prompt_tokens_response(output_config: str, count: PromptCount | str, prompt: str) -> PromptTokensResponse:
    """The answer of POST /api/schema/prompt-tokens.

    Args:
        output_config: the output config id.
        count: the counts, or the sentence saying why they cannot be counted.
        prompt: the prompt that was counted.
    """
    if isinstance(count, str):
        return PromptTokensResponse(status="success", output_config=output_config, countable=False, reason=count,
                                    prompt_chars=len(prompt))
    first = count.encoders[0]
    return PromptTokensResponse(
        status="success", output_config=output_config, countable=True, prompt_chars=count.prompt_chars,
        token_count=first.token_count, max_tokens=first.max_tokens, truncated=count.truncated,
        read_chars=count.read_chars, ignored_from=count.ignored_from,
        encoders=[EncoderTokens(tokenizer=e.tokenizer, max_tokens=e.max_tokens, token_count=e.token_count,
                                read_chars=e.read_chars) for e in count.encoders])
