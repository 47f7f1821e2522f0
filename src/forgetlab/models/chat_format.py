"""How a generative example (instruction, response, earlier turns) becomes token ids.

    fmt = ChatFormat(tokenizer, template="auto")
    prompt_ids, target_ids = fmt.encode(example)      # the loss is on target_ids only
    fmt.stop_ids                                      # token ids that end a generated answer

`template = "auto"` uses the tokenizer's own chat template when it has one
(`tokenizer.apply_chat_template`, Hugging Face's Jinja templates: Qwen, Llama, Mistral...);
the prompt is the conversation up to the assistant's turn (`add_generation_prompt=True`) and
the target is what the template adds after it for the response: the response itself and
the template's end-of-turn text (e.g. "<|im_end|>\\n"), so the model learns to stop.

`template = "plain"` (and "auto" for tokenizers without a chat template, e.g. base GPT-2 or
forgetlab's tiny models) is this documented plain format (Alpaca-like):

    {system}                              (when there is a system message, then a blank line)

    ### Instruction:
    {an earlier user turn}

    ### Response:
    {its answer}                          (earlier turns, each followed by a blank line)

    ### Instruction:
    {text}

    ### Response:
    {target}<eos>

The prompt ends after "### Response:\\n"; the target is the response followed by the
tokenizer's EOS token. The prompt is tokenized with the tokenizer's special tokens (a BOS for
Llama-style tokenizers), the target without.
"""

from __future__ import annotations

from forgetlab.errors import SpecError
from forgetlab.streams.task import Example

PLAIN_INSTRUCTION = "### Instruction:\n{text}\n\n### Response:\n"
TEMPLATES = ("auto", "plain")
_SENTINEL = "\u2063forgetlab-response\u2063"  # a response text no template changes


def messages_of(example: Example) -> list[dict[str, str]]:
    """The conversation up to (and with) the example's last user message."""
    return [{"role": r, "content": c} for r, c in example.context] + [
        {"role": "user", "content": example.text}
    ]


def plain_prompt(example: Example) -> str:
    """The plain template's prompt text (module docstring)."""
    parts: list[str] = []
    pending_user: str | None = None
    for role, content in example.context:
        if role == "system":
            parts.append(f"{content}\n\n")
        elif role == "user":
            pending_user = content
        elif role == "assistant":
            parts.append(PLAIN_INSTRUCTION.format(text=pending_user or "") + f"{content}\n\n")
            pending_user = None
    return "".join(parts) + PLAIN_INSTRUCTION.format(text=example.text)


class ChatFormat:
    """Formats generative examples for one tokenizer (module docstring)."""

    def __init__(self, tokenizer, template: str = "auto") -> None:
        if template not in TEMPLATES:
            raise SpecError(f"stream.template: {template!r} is not one of {list(TEMPLATES)}")
        self.tokenizer = tokenizer
        has_template = bool(getattr(tokenizer, "chat_template", None))
        self.kind = "chat_template" if template == "auto" and has_template else "plain"
        self.eos_id = tokenizer.eos_token_id
        self.turn_end = self._turn_end() if self.kind == "chat_template" else ""
        stops = [self.eos_id] if self.eos_id is not None else []
        end_ids = tokenizer(self.turn_end, add_special_tokens=False)["input_ids"]
        if end_ids and end_ids[0] in set(tokenizer.all_special_ids):
            stops.append(end_ids[0])  # e.g. <|im_end|>, <|eot_id|>: the turn's end token
        self.stop_ids: list[int] = list(dict.fromkeys(stops))

    # -- text ---------------------------------------------------------------------------
    def _template(self, messages: list[dict], generation_prompt: bool) -> str:
        return self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=generation_prompt
        )

    def _turn_end(self) -> str:
        """What the chat template writes after an assistant message (its end of turn)."""
        probe = [{"role": "user", "content": "x"}, {"role": "assistant", "content": _SENTINEL}]
        text = self._template(probe, False)
        return text.split(_SENTINEL, 1)[1] if _SENTINEL in text else ""

    def prompt_text(self, example: Example) -> str:
        if self.kind == "plain":
            return plain_prompt(example)
        return self._template(messages_of(example), True)

    def target_text(self, example: Example) -> str:
        """The text the model learns to write after the prompt (the response and the turn's
        end; plain: the response alone, EOS is added as a token)."""
        response = example.target or ""
        if self.kind == "plain":
            return response
        prompt = self.prompt_text(example)
        full = self._template(
            [*messages_of(example), {"role": "assistant", "content": response}], False
        )
        if full.startswith(prompt):
            return full[len(prompt) :]
        return response + self.turn_end  # a template that rewrites earlier turns

    # -- token ids ----------------------------------------------------------------------
    def encode(self, example: Example) -> tuple[list[int], list[int]]:
        """(prompt ids, target ids) of a generative example, not truncated."""
        tok = self.tokenizer
        if self.kind == "plain":
            prompt = tok(self.prompt_text(example), add_special_tokens=True)["input_ids"]
            target = tok(self.target_text(example), add_special_tokens=False)["input_ids"]
            if self.eos_id is not None:
                target = target + [self.eos_id]
            return prompt, target
        prompt = tok(self.prompt_text(example), add_special_tokens=False)["input_ids"]
        target = tok(self.target_text(example), add_special_tokens=False)["input_ids"]
        return prompt, target

    def clean(self, generated: str) -> str:
        """A decoded continuation cut at the end of the answer: the template's end-of-turn
        text, or (plain) the start of a new instruction block."""
        cut = self.turn_end.strip() or "### Instruction:"
        return generated.split(cut, 1)[0].strip()
