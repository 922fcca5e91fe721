"""Oracle backed by a local Hugging Face model, greedy and batched (seq2seq or causal).

ArCHer's Twenty Questions oracle was a fine-tuned flan-t5; any ``AutoModelForSeq2SeqLM`` or
``AutoModelForCausalLM`` by hub name or local path works (hub names need the weights cached, since
this project runs offline by default). Pass ``model=`` and ``tokenizer=`` objects to use a model you
built yourself (the tests use tiny ones built from config).
"""

from __future__ import annotations

import copy

from archer_envs.oracles.base import Oracle, OracleTask


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class HFOracle(Oracle):
    """Args:
    task: the game's prompt and reply normaliser.
    model: a hub name / local path, or an already built ``PreTrainedModel``.
    tokenizer: required when ``model`` is an object; loaded from ``model`` otherwise.
    device: ``"cuda"``/``"cpu"``; default CUDA when present.
    batch_size: prompts per forward pass; max_new_tokens: reply length cap.
    """

    def __init__(
        self,
        task: OracleTask,
        model="google/flan-t5-small",
        tokenizer=None,
        device: str | None = None,
        batch_size: int = 32,
        max_new_tokens: int = 8,
        max_input_tokens: int = 512,
    ) -> None:
        super().__init__()
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

        self.task = task
        self.device = device or default_device()
        if isinstance(model, str):
            try:
                config = AutoConfig.from_pretrained(model)
                cls = AutoModelForSeq2SeqLM if config.is_encoder_decoder else AutoModelForCausalLM
                tokenizer = tokenizer or AutoTokenizer.from_pretrained(model)
                model = cls.from_pretrained(model)
            except OSError as err:
                raise ValueError(
                    f"oracle='hf' could not load model {model!r}: give a local path, or a hub name whose "
                    f"weights are in the Hugging Face cache or downloadable from here ({err})"
                ) from err
        elif tokenizer is None:
            raise ValueError("oracle='hf' with a model object also needs tokenizer=...")
        self.model = model.to(self.device).eval()
        self.tokenizer = copy.deepcopy(tokenizer)  # padding settings below must not leak to the caller
        self.is_seq2seq = bool(getattr(model.config, "is_encoder_decoder", False))
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        if not self.is_seq2seq:
            # Causal models generate after the prompt: pad on the left so every prompt ends at the
            # same position and greedy decoding of one prompt does not depend on its batch-mates.
            self.tokenizer.padding_side = "left"
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self.max_input_tokens = max_input_tokens
        self._torch = torch

    def _prompt(self, secret: str, question: str) -> str:
        user = self.task.user(secret, question)
        template = getattr(self.tokenizer, "chat_template", None)
        if not self.is_seq2seq and template:
            messages = [{"role": "system", "content": self.task.system}, {"role": "user", "content": user}]
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return f"{self.task.system}\n\n{user}"

    def generate(self, prompts: list[str]) -> list[str]:
        """Greedy replies to raw prompts, in batches."""
        replies: list[str] = []
        for start in range(0, len(prompts), self.batch_size):
            chunk = prompts[start : start + self.batch_size]
            enc = self.tokenizer(
                chunk, return_tensors="pt", padding=True, truncation=True, max_length=self.max_input_tokens
            ).to(self.device)
            with self._torch.inference_mode():
                out = self.model.generate(
                    **enc,
                    do_sample=False,
                    max_new_tokens=self.max_new_tokens,
                    pad_token_id=self.tokenizer.pad_token_id,
                )
            if not self.is_seq2seq:
                out = out[:, enc["input_ids"].shape[1] :]
            replies.extend(self.tokenizer.batch_decode(out, skip_special_tokens=True))
        return replies

    def _answer_batch(self, secrets: list[str], questions: list[str]) -> list[str]:
        replies = self.generate([self._prompt(s, q) for s, q in zip(secrets, questions)])
        return [self.task.normalize(r) for r in replies]

    def close(self) -> None:
        self.model = None


def train_tokenizer(texts, vocab_size: int = 2000):
    """A byte-level BPE ``PreTrainedTokenizerFast`` trained on ``texts`` (offline, seconds).

    For models built from config when no pretrained tokenizer is at hand (tests, benchmarks, the
    offline default policy). Special tokens: ``<pad>`` (id 0), ``</s>`` (eos), ``<unk>``.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<pad>", "</s>", "<unk>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,  # its bars print only blank lines into a log file
    )
    tok.train_from_iterator(list(texts), trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
