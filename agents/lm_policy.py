"""The language-model policy π(utterance | observation) that every algorithm trains.

ArCHer's token-level actor (§4, the "low-level policy"), PPO's policy and filtered BC's model are all
this one object: a causal LM reading the observation text and writing the next utterance.

Convention (the same for sampling and for scoring, so that ratios and policy gradients refer to the
same distribution):

- the prompt is the observation text as the env gives it (e.g. ``"Questions:\\n" + turns``);
- the utterance is ``action + "\\n"``: generation stops at the first token containing a newline (or
  at EOS), and the returned action is the text before the newline, stripped;
- :meth:`LMPolicy.log_probs` scores ``log π(action + "\\n" | observation)`` = Σ_t log π(y_t | x, y_<t)
  over the action's tokens followed by the newline token (ArCHer eq. for the token-level actor
  gradient; PPO's ratio), with the model's raw logits (temperature 1).

Prompts longer than ``max_context_tokens`` lose their oldest tokens (the newest turns are kept).
Each sequence is built as prompt tokens + action tokens with nothing in between, and padding is
added only outside a sequence (on the left) with matching attention mask and position ids, so an
example's log-probability does not depend on what else is in its batch.

    policy = LMPolicy.offline_default(texts)            # BPE tokenizer + small GPT-2 from config
    policy = LMPolicy.from_pretrained("gpt2")           # or a local checkpoint directory
    actions = policy.act(observations)
    loss = -(advantages * policy.log_probs(observations, actions)).mean()
"""

from __future__ import annotations

import copy
import inspect
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch

SETTINGS_FILE = "lm_policy.json"  # the policy's own settings, next to the model and tokenizer files
_SETTINGS = ("max_new_tokens", "temperature", "max_context_tokens")
_POLICY_KWARGS = ("device",) + _SETTINGS


# What a model directory must hold for ``from_pretrained`` (as ``save_pretrained`` and HF write it).
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "vocab.txt", "tokenizer.model",
                   "spiece.model")
_EXPECTED_FILES = "config.json, model.safetensors and tokenizer files, as LMPolicy.save_pretrained writes them"


# transformers' per-call progress bars of a weights load or save: noise for our small, local models.
_WEIGHT_BARS = ("Loading weights", "Writing model shards")


class _NoBar:
    """What a hidden progress bar returns: an iterable wrapper that accepts tqdm's calls and does nothing."""

    def __init__(self, iterable=None, *args, **kwargs) -> None:
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


@contextmanager
def quiet_weight_bars():
    """Hide transformers' "Loading weights" / "Writing model shards" bars of the loads and saves inside
    (other bars, such as downloads, and every bar outside are left alone)."""
    from transformers.utils import logging as hf_logging

    set_hook = getattr(hf_logging, "set_tqdm_hook", None)
    if set_hook is None:  # an older transformers without the hook
        yield
        return

    def hook(factory, args, kwargs):
        if kwargs.get("desc") in _WEIGHT_BARS:
            return _NoBar(*args, **kwargs)
        return previous(factory, args, kwargs) if previous is not None else factory(*args, **kwargs)

    previous = set_hook(hook)
    try:
        yield
    finally:
        set_hook(previous)


def check_model_files(path: str | os.PathLike) -> None:
    """Raise ValueError naming the file and the problem when the local model directory ``path`` cannot
    hold a loadable model: empty, no ``config.json``, no weights or tokenizer files, an empty or damaged
    JSON file, a truncated or empty ``.safetensors`` file (its header and length are checked; nothing is
    loaded). Without this, transformers reports such directories with errors that name neither the file
    nor the problem (a raw safetensors header error, or a hint to install sentencepiece)."""
    path = os.fspath(path)
    names = set(os.listdir(path))
    if not names:
        raise ValueError(f"{path!r} is an empty directory: expected an LM policy checkpoint ({_EXPECTED_FILES})")
    for required, what in (("config.json", ("config.json",)), ("model weights", WEIGHT_FILES),
                           ("tokenizer files", TOKENIZER_FILES)):
        if not names.intersection(what):
            found = sorted(names)
            found = ", ".join(found[:12]) + (f" and {len(found) - 12} more" if len(found) > 12 else "")
            raise ValueError(f"{path!r} is not an LM policy checkpoint: it has no {required} "
                             f"(expected {' or '.join(what)}; found {found})")
    for name in sorted(names):
        file = os.path.join(path, name)
        if not os.path.isfile(file):
            continue
        if name.endswith(".json"):
            try:
                with open(file, encoding="utf-8") as f:
                    json.load(f)
            except (ValueError, OSError) as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
                problem = "is empty (0 bytes)" if os.path.getsize(file) == 0 else f"is not valid JSON ({err})"
                raise ValueError(f"checkpoint file {file!r} {problem}: the checkpoint is damaged") from None
        elif name.endswith(".safetensors"):
            _check_safetensors(file)


def _check_safetensors(file: str) -> None:
    from safetensors import safe_open

    size = os.path.getsize(file)
    if size == 0:
        raise ValueError(f"weights file {file!r} is empty (0 bytes): the checkpoint is damaged")
    try:
        with safe_open(file, framework="pt"):  # reads the header and checks it against the file's length
            pass
    except Exception as err:  # safetensors raises its own SafetensorError (not an OSError or ValueError)
        raise ValueError(f"weights file {file!r} ({size} bytes) is truncated or corrupt: {err}") from None


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def model_max_positions(config) -> int | None:
    """The longest sequence the model can read (GPT-2's ``n_positions``, others'
    ``max_position_embeddings``); None when the config does not say."""
    for name in ("n_positions", "max_position_embeddings"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def newline_token_id(tokenizer) -> int:
    """The id of the token that is exactly "\\n" (byte-level BPE's ``Ċ``, SentencePiece's ``<0x0A>``)."""
    ids = tokenizer.encode("\n", add_special_tokens=False)
    if len(ids) == 1:
        return ids[0]
    for token in ("\u010a", "<0x0A>", "\n"):
        tid = tokenizer.convert_tokens_to_ids(token)
        if isinstance(tid, int) and tid != tokenizer.unk_token_id and tokenizer.decode([tid]) == "\n":
            return tid
    for tid in reversed(ids):
        if tokenizer.decode([tid]) == "\n":
            return tid
    raise ValueError(f"tokenizer {type(tokenizer).__name__} has no single token for '\\n' (it encodes it as {ids})")


def _positive_int(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _check_temperature(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"temperature must be a number >= 0 (0 means greedy), got {value!r}")
    return float(value)


class LMPolicy(torch.nn.Module):
    """A causal LM as a text policy: ``act``/``generate`` sample utterances, ``log_probs`` scores them.

    Args:
        model: a ``transformers`` causal LM (``PreTrainedModel``); moved to ``device``.
        tokenizer: its tokenizer; deep-copied (the copy pads on the left; pad = EOS when it has no pad).
        device: ``"cuda"``/``"cpu"``/...; default CUDA when present.
        max_new_tokens: utterance length cap for generation (tokens, the newline included).
        temperature: sampling temperature of :meth:`act`; 0 means greedy.
        max_context_tokens: prompt budget in tokens (older tokens are dropped); default the model's
            maximum sequence length minus ``max_new_tokens`` (no limit if the config has none).
    """

    def __init__(
        self,
        model,
        tokenizer,
        device: str | None = None,
        max_new_tokens: int = 32,
        temperature: float = 1.0,
        max_context_tokens: int | None = None,
    ) -> None:
        super().__init__()
        self.max_new_tokens = _positive_int("max_new_tokens", max_new_tokens)
        self.temperature = _check_temperature(temperature)
        self.tokenizer = copy.deepcopy(tokenizer)  # padding settings below must not leak to the caller
        if self.tokenizer.eos_token_id is None:
            raise ValueError(f"tokenizer {type(tokenizer).__name__} has no EOS token: an LM policy needs one to stop")
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.tokenizer.padding_side = "left"
        self.newline_id = newline_token_id(self.tokenizer)
        self.max_positions = model_max_positions(model.config)
        # Whether the context budget was chosen by the user (saved) or derived from the model (recomputed on load).
        self._explicit_context = max_context_tokens is not None
        if max_context_tokens is None and self.max_positions is not None:
            max_context_tokens = self.max_positions - self.max_new_tokens
            if max_context_tokens < 1:
                raise ValueError(
                    f"max_new_tokens={self.max_new_tokens} leaves no room for a prompt in the model's "
                    f"{self.max_positions} positions"
                )
        elif max_context_tokens is not None:
            _positive_int("max_context_tokens", max_context_tokens)
            if self.max_positions is not None and max_context_tokens + self.max_new_tokens > self.max_positions:
                raise ValueError(
                    f"max_context_tokens={max_context_tokens} + max_new_tokens={self.max_new_tokens} exceeds the "
                    f"model's {self.max_positions} positions"
                )
        self.max_context_tokens = max_context_tokens
        self.tokens_generated = 0  # total new tokens produced by generate(), for throughput figures
        self.model = model.to(device or default_device())
        self._prefix_ids = self._special_prefix()
        forward_args = inspect.signature(self.model.forward).parameters
        self._takes_position_ids = "position_ids" in forward_args
        self._keep_arg = next((a for a in ("logits_to_keep", "num_logits_to_keep") if a in forward_args), None)
        self._stop_ids: list[int] | None = None

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def offline_default(
        cls,
        texts: Iterable[str],
        seed: int = 0,
        vocab_size: int = 2000,
        n_layer: int = 4,
        n_embd: int = 256,
        n_head: int = 4,
        n_positions: int = 1024,
        **kwargs,
    ) -> LMPolicy:
        """A byte-level BPE tokenizer trained on ``texts`` and a GPT-2 built from config (no download).

        ``kwargs`` naming a policy setting (``device``, ``max_new_tokens``, ``temperature``,
        ``max_context_tokens``) go to the policy; the rest to ``GPT2Config``. Dropout defaults to 0
        so that ``log_probs`` is a deterministic function of the weights (PPO's ratio is exactly 1
        before the first step); pass ``resid_pdrop=...`` etc. to change it.
        """
        from transformers import GPT2Config, GPT2LMHeadModel

        from archer_envs.oracles.hf import train_tokenizer

        texts = [t for t in texts]
        if not texts or not all(isinstance(t, str) for t in texts):
            raise ValueError("offline_default needs a non-empty list of strings to train the tokenizer on")
        tokenizer = train_tokenizer(texts, vocab_size=vocab_size)
        tokenizer.model_max_length = n_positions
        # The byte-level alphabet is always in the vocabulary, so "\n" (byte-level "Ċ") is one token.
        if len(tokenizer.encode("\n", add_special_tokens=False)) != 1:
            raise RuntimeError("the trained tokenizer does not encode '\\n' as a single token")
        policy_kwargs = {k: kwargs.pop(k) for k in _POLICY_KWARGS if k in kwargs}
        config_kwargs = {"resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0, **kwargs}
        config = GPT2Config(
            vocab_size=len(tokenizer),
            n_positions=n_positions,
            n_embd=n_embd,
            n_layer=n_layer,
            n_head=n_head,
            bos_token_id=tokenizer.eos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
            **config_kwargs,
        )
        with torch.random.fork_rng(devices=[]):  # seeded weights without resetting the caller's RNG
            torch.manual_seed(seed)
            model = GPT2LMHeadModel(config)
        return cls(model, tokenizer, **policy_kwargs)

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike, device: str | None = None, **kwargs) -> LMPolicy:
        """Load a checkpoint written by :meth:`save_pretrained`, or any causal LM by hub name / local path.

        Settings saved with the checkpoint apply unless overridden in ``kwargs``; other ``kwargs``
        (e.g. ``dtype``) go to ``AutoModelForCausalLM.from_pretrained``. A local path that does not
        exist raises FileNotFoundError, anything unloadable ValueError; both name the path.
        """
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = os.fspath(name_or_path)
        is_local = os.path.exists(path)
        if not is_local and _looks_like_path(path):
            raise FileNotFoundError(f"no LM policy checkpoint at {path!r}: the directory does not exist")
        if is_local and not os.path.isdir(path):
            raise ValueError(f"{path!r} is a file: expected a checkpoint directory (config.json, weights, tokenizer)")
        if is_local:
            check_model_files(path)
        settings: dict = {}
        settings_path = os.path.join(path, SETTINGS_FILE)
        if is_local and os.path.exists(settings_path):
            try:
                with open(settings_path) as f:
                    settings = json.load(f)
                if not isinstance(settings, dict):
                    raise ValueError(f"expected a JSON object, got {type(settings).__name__}")
            except (OSError, ValueError) as err:
                raise ValueError(f"could not read the policy settings {settings_path!r}: {err}") from err
            settings = {k: v for k, v in settings.items() if k in _SETTINGS and v is not None}
        settings.update({k: kwargs.pop(k) for k in _SETTINGS if k in kwargs})
        try:
            tokenizer = AutoTokenizer.from_pretrained(path)
            with quiet_weight_bars():
                model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            where = "checkpoint directory" if is_local else "model (hub name; its files must be cached or downloadable)"
            raise ValueError(f"could not load an LM policy from {where} {path!r}: {type(err).__name__}: {err}") from err
        return cls(model, tokenizer, device=device, **settings)

    def save_pretrained(self, path: str | os.PathLike) -> None:
        """Model, tokenizer and ``lm_policy.json`` into ``path``, written to a temporary sibling first
        and then renamed, so a crash never leaves a half-written checkpoint at ``path``."""
        path = os.path.abspath(os.fspath(path))
        if os.path.isfile(path):
            raise ValueError(f"cannot save an LM policy to {path!r}: it is a file, expected a directory")
        parent, name = os.path.split(path)
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=parent)
        try:
            from archer_envs.benchmark import umask_mode

            os.chmod(tmp, umask_mode(directory=True))  # mkdtemp's 0700 would outlive the rename
            with quiet_weight_bars():
                self.model.save_pretrained(tmp)
            self.tokenizer.save_pretrained(tmp)
            settings = {
                "max_new_tokens": self.max_new_tokens,
                "temperature": self.temperature,
                # null: derived from the model's length and max_new_tokens when loaded
                "max_context_tokens": self.max_context_tokens if self._explicit_context else None,
            }
            with open(os.path.join(tmp, SETTINGS_FILE), "w") as f:
                json.dump(settings, f, indent=2)
            if os.path.exists(path):
                # A directory cannot be renamed over a non-empty one: move the old one aside first.
                old = tempfile.mkdtemp(prefix=f".{name}.old-", dir=parent)
                os.rmdir(old)
                os.replace(path, old)
                os.replace(tmp, path)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    # --- module plumbing ---------------------------------------------------------------------
    @property
    def device(self) -> str:
        param = next(self.model.parameters(), None)
        return str(param.device) if param is not None else "cpu"

    def forward(self, observations: Sequence[str], actions: Sequence[str]) -> torch.Tensor:
        """Same as :meth:`log_probs` with ``reduction="sum"``."""
        return self.log_probs(observations, actions)

    # --- tokens ------------------------------------------------------------------------------
    def _special_prefix(self) -> list[int]:
        """Tokens the tokenizer puts before every text (e.g. Llama's BOS); kept after left truncation."""
        with_special = self.tokenizer("a", add_special_tokens=True)["input_ids"]
        plain = self.tokenizer("a", add_special_tokens=False)["input_ids"]
        n = len(with_special) - len(plain)
        if n > 0 and with_special[n:] == plain:
            return list(with_special[:n])
        return []

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        if not texts:
            return []
        return self.tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]

    def _prompt_ids(self, ids: list[int], budget: int | None) -> list[int]:
        """The prompt's newest ``budget`` tokens (special prefix included); never empty."""
        if budget is not None:
            keep = max(budget - len(self._prefix_ids), 0)
            ids = ids[len(ids) - keep :] if keep else []
        ids = self._prefix_ids + list(ids)
        if not ids:  # an empty observation: condition on BOS (GPT-2 uses EOS as BOS)
            bos = self.tokenizer.bos_token_id
            ids = [bos if bos is not None else self.tokenizer.eos_token_id]
        return ids

    def _stop_token_ids(self) -> list[int]:
        """EOS, the newline token, then every other token whose text contains a newline (".\\n", "\\n\\n")."""
        if self._stop_ids is None:
            vocab = len(self.tokenizer)
            texts = self.tokenizer.batch_decode([[i] for i in range(vocab)])
            others = [i for i, t in enumerate(texts) if "\n" in t and i != self.newline_id]
            ids = [self.tokenizer.eos_token_id, self.newline_id] + others
            self._stop_ids = list(dict.fromkeys(ids))
        return self._stop_ids

    def _unsampled_ids(self, stop_ids: list[int]) -> list[int] | None:
        """The pad id, unless it doubles as a stop id (GPT-2's pad is its EOS)."""
        pad = self.tokenizer.pad_token_id
        return [pad] if pad is not None and pad not in stop_ids else None

    def _left_pad(self, seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        length = max(map(len, seqs))
        pad = self.tokenizer.pad_token_id
        ids = torch.tensor([[pad] * (length - len(s)) + s for s in seqs], dtype=torch.long)
        mask = torch.tensor([[0] * (length - len(s)) + [1] * len(s) for s in seqs], dtype=torch.long)
        return ids.to(self.device), mask.to(self.device)

    # --- acting ------------------------------------------------------------------------------
    def act(self, observations: list[str]) -> list[str]:
        """One utterance per observation, sampled at ``self.temperature`` (greedy when 0)."""
        return self.generate(observations)

    # Prompts per generate() call of the model: memory grows with the batch (CHAI's pool of 512 states
    # x k = 5 candidates in one batch peaked at 10.5 GB), so larger requests run in chunks of this many
    # (ArCHer's 512-state pool stays one batch).
    generate_batch_size: int = 512

    @torch.no_grad()
    def generate(
        self, observations: Sequence[str], temperature: float | None = None, greedy: bool = False
    ) -> list[str]:
        """Batched generation: left-padded prompts (newest ``max_context_tokens`` tokens), stopping at
        the first newline token or EOS; returns the text before the newline, stripped. Dropout is
        off while generating (the module's train/eval mode is restored afterwards). More than
        ``generate_batch_size`` observations are generated in chunks of that many, in order."""
        observations = list(observations)
        if not observations:
            return []
        temperature = self.temperature if temperature is None else _check_temperature(temperature)
        n = self.generate_batch_size
        return [action for i in range(0, len(observations), n)
                for action in self._generate_batch(observations[i : i + n], temperature, greedy)]

    def _generate_batch(self, observations: list[str], temperature: float, greedy: bool) -> list[str]:
        sample = not greedy and temperature > 0
        prompts = [self._prompt_ids(ids, self.max_context_tokens) for ids in self._encode(observations)]
        input_ids, attention_mask = self._left_pad(prompts)
        stop_ids = self._stop_token_ids()
        options = {"do_sample": False}
        if sample:
            # Plain ancestral sampling from softmax(logits / T): no top-k/top-p a checkpoint may default to.
            options = {"do_sample": True, "temperature": temperature, "top_k": 0, "top_p": 1.0, "typical_p": 1.0}
        was_training = self.model.training
        self.model.eval()
        try:
            out = self.model.generate(
                input_ids=input_ids,
                attention_mask=attention_mask,
                max_new_tokens=self.max_new_tokens,
                eos_token_id=stop_ids,
                # generate drops an all-ones attention mask (no left padding), and then warns "We strongly
                # recommend passing in an `attention_mask`" whenever a step's input holds the pad id. The pad
                # id is never fed: rows that have stopped are filled with a stop id (never read: the action
                # ends at its stop token), and the pad token, which is not text, is never sampled.
                pad_token_id=stop_ids[0],
                suppress_tokens=self._unsampled_ids(stop_ids),
                repetition_penalty=1.0,
                no_repeat_ngram_size=0,
                **options,
            )
        finally:
            self.model.train(was_training)
        stop = set(stop_ids)
        actions = []
        for row in out[:, input_ids.shape[1] :].tolist():
            n = next((i + 1 for i, t in enumerate(row) if t in stop), len(row))
            self.tokens_generated += n
            text = self.tokenizer.decode(row[:n], skip_special_tokens=True)
            actions.append(text.split("\n", 1)[0].strip())
        return actions

    # --- scoring -----------------------------------------------------------------------------
    def log_probs(self, observations: Sequence[str], actions: Sequence[str], reduction: str = "sum",
                  hidden_states: bool = False):
        """log π(action + "\\n" | observation) for each pair, differentiable.

        ``reduction="sum"``: a [B] tensor. ``reduction="none"``: ``(token_logprobs, mask)``, both
        [B, T] with the action's tokens (the newline last) left-aligned and ``mask`` true on them;
        with ``hidden_states=True`` also ``hidden`` [B, T, H], the last layer's state at the position
        that predicts each action token (what a token-level baseline reads).
        Prompts are left-truncated to ``max_context_tokens`` (as in generation), and further if the
        prompt and action together exceed the model's length.
        """
        if reduction not in ("sum", "none"):
            raise ValueError(f"reduction must be 'sum' or 'none', got {reduction!r}")
        if hidden_states and reduction != "none":
            raise ValueError("hidden_states=True needs reduction='none' (the states are per token)")
        scores = self.score(observations, actions, hidden_states=hidden_states)
        if reduction == "sum":
            return scores.logprobs.sum(-1)
        out = (scores.logprobs, scores.mask)
        return out + (scores.hidden,) if hidden_states else out

    def score(self, observations: Sequence[str], actions: Sequence[str], hidden_states: bool = True,
              entropy: bool = False) -> TokenScores:
        """Per-token scores of ``action + "\\n"`` given each observation, differentiable (see
        :class:`TokenScores`; the layout is that of ``log_probs(..., reduction="none")``)."""
        observations, actions = list(observations), list(actions)
        if len(observations) != len(actions):
            raise ValueError(f"log_probs got {len(observations)} observations but {len(actions)} actions")
        if not observations:
            empty = torch.zeros(0, 0, device=self.device)
            return TokenScores(empty, empty.bool(), empty.unsqueeze(-1) if hidden_states else None,
                               empty if entropy else None)
        for action in actions:
            if "\n" in action:
                raise ValueError(f"action {action!r} contains a newline: utterances are single lines")
        action_ids = [ids + [self.newline_id] for ids in self._encode(actions)]
        seqs = []
        for obs_ids, act_ids in zip(self._encode(observations), action_ids):
            budget = self.max_context_tokens
            if self.max_positions is not None:
                room = self.max_positions - len(act_ids)
                if room < 1:
                    raise ValueError(
                        f"action of {len(act_ids)} tokens does not fit the model's {self.max_positions} positions"
                    )
                budget = room if budget is None else min(budget, room)
            seqs.append(self._prompt_ids(obs_ids, budget) + act_ids)
        input_ids, attention_mask = self._left_pad(seqs)
        lengths = torch.tensor([len(a) for a in action_ids], device=self.device)
        t_max = int(lengths.max())
        kwargs = {"input_ids": input_ids, "attention_mask": attention_mask, "use_cache": False}
        if self._takes_position_ids:
            # Left padding shifts each sequence; positions count real tokens only, so each example
            # sees exactly the positions it would have alone.
            kwargs["position_ids"] = (attention_mask.cumsum(-1) - 1).clamp(min=0)
        if self._keep_arg is not None:
            kwargs[self._keep_arg] = t_max + 1  # logits for the action positions only (memory)
        output = self.model(**kwargs, output_hidden_states=hidden_states)
        logits = output.logits[:, -(t_max + 1) : -1]
        targets = input_ids[:, -t_max:]
        logits = logits.float()
        unsampled = self._unsampled_ids(self._stop_token_ids())
        if unsampled:  # the distribution generate() samples from: tokens it never samples have probability 0
            logits = logits.index_fill(-1, torch.tensor(unsampled, device=logits.device), float("-inf"))
        log_dist = torch.log_softmax(logits, dim=-1)
        logp = log_dist.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        # Sequences end together (left padding): action i is the last lengths[i] columns. Left-align it.
        cols = torch.arange(t_max, device=self.device)
        index = (cols.unsqueeze(0) + (t_max - lengths).unsqueeze(1)).clamp(max=t_max - 1)
        mask = cols.unsqueeze(0) < lengths.unsqueeze(1)

        def aligned(values: torch.Tensor) -> torch.Tensor:
            return torch.where(mask, values.gather(1, index), torch.zeros_like(values))

        hidden = ent = None
        if hidden_states:
            states = output.hidden_states[-1][:, -(t_max + 1) : -1]
            states = states.gather(1, index.unsqueeze(-1).expand(-1, -1, states.shape[-1]))
            hidden = states * mask.unsqueeze(-1)
        if entropy:
            probs = log_dist.exp()  # 0 · (−inf) is 0 here, not nan
            ent = aligned(-(probs * torch.where(probs > 0, log_dist, torch.zeros_like(log_dist))).sum(-1))
        return TokenScores(aligned(logp), mask, hidden, ent)


@dataclass
class TokenScores:
    """What :meth:`LMPolicy.score` returns: [B, T] tensors with each action's tokens (the closing
    newline last) left-aligned, zero where ``mask`` is false."""

    logprobs: torch.Tensor  # log π(a^h | s, a^{1:h−1})
    mask: torch.Tensor  # true on the action's tokens
    hidden: torch.Tensor | None  # [B, T, H] last-layer state at the position predicting token h
    entropy: torch.Tensor | None  # entropy of π(· | s, a^{1:h−1}) over the tokens generate() samples


def _looks_like_path(name: str) -> bool:
    """Hub names are "name" or "owner/name"; anything else (absolute, ./, ~, deeper) is a local path."""
    return (
        os.path.isabs(name)
        or name.startswith((".", "~"))
        or name.endswith(("/", os.sep))
        or name.count("/") > 1
        or (os.sep != "/" and os.sep in name)
    )
