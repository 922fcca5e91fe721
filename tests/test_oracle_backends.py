"""The LLM oracle backends, offline: ``openai`` against a real local chat-completions server,
``hf`` with tiny models built from config, and backend selection by name (``make_oracle``)."""

from __future__ import annotations

import copy
import time

import gymnasium as gym
import openai
import pytest
import torch
from chat_server import serve

import archer_envs  # noqa: F401  (registers the envs)
from archer_envs.oracles import BACKENDS, Oracle, make_oracle
from archer_envs.oracles.hf import HFOracle, train_tokenizer
from archer_envs.oracles.openai_chat import OpenAIOracle
from archer_envs.twenty_questions.knowledge import (
    ANSWERS,
    INVALID,
    NO,
    TWENTY_QUESTIONS_TASK,
    YES,
    KnowledgeBase,
    TwentyQuestionsKnowledgeOracle,
    normalize_reply,
)

TASK = TWENTY_QUESTIONS_TASK


# --- a real OpenAI-compatible chat server on 127.0.0.1 (tests/chat_server.py) ------------------
@pytest.fixture
def chat_server(monkeypatch):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    with serve() as state:
        yield state


@pytest.fixture
def openai_oracle(chat_server, tmp_path):
    """Factory for OpenAIOracles on the local server (closed at teardown)."""
    made: list[OpenAIOracle] = []

    def make(**kwargs) -> OpenAIOracle:
        kwargs = {"model": "test-model", "base_url": chat_server.base_url,
                  "cache_path": tmp_path / "c.sqlite", **kwargs}
        oracle = OpenAIOracle(TASK, **kwargs)
        made.append(oracle)
        return oracle

    yield make
    for oracle in made:
        oracle.close()


def test_openai_answers_a_batch_normalised(chat_server, openai_oracle):
    oracle = openai_oracle()
    secrets = ["Cat", "Dog", "Banana", "Cat", "Piano"]
    questions = ["Is it a cat?", "Is it a cat?", "Is it a banana?", "Is it a cat?", "Does it depend?"]
    assert oracle.answer(secrets, questions) == [YES, NO, YES, YES, INVALID]

    # One request per distinct (secret, question): the repeated pair is asked once.
    bodies = chat_server.bodies()
    assert len(bodies) == 4 and oracle.requests_sent == 4
    asked = sorted((b["messages"][1]["content"] for b in bodies))
    assert asked == sorted(TASK.user(s, q) for s, q in dict.fromkeys(zip(secrets, questions)))
    for body in bodies:
        assert body["model"] == "test-model"
        assert body["temperature"] == 0
        assert body["max_tokens"] == 64
        assert [m["role"] for m in body["messages"]] == ["system", "user"]
        assert body["messages"][0]["content"] == TASK.system
    cat = next(b for b in bodies if "The object is: Cat." in b["messages"][1]["content"])
    assert "Question: Is it a cat?" in cat["messages"][1]["content"]
    assert all(r["path"] == "/v1/chat/completions" for r in chat_server.requests)


def test_openai_disk_cache_survives_a_new_oracle(chat_server, openai_oracle, tmp_path):
    secrets, questions = ["Cat", "Dog", "Banana"], ["Is it a cat?", "Is it a cat?", "Is it big?"]
    first = openai_oracle()
    answers = first.answer(secrets, questions)
    assert answers == [YES, NO, NO]
    assert len(chat_server.requests) == 3
    first.close()

    second = openai_oracle()  # same cache_path, empty in-memory cache
    assert second.answer(secrets, questions) == answers
    assert second.backend_queries == 3  # it did go past the in-memory cache ...
    assert second.requests_sent == 0 and len(chat_server.requests) == 3  # ... and hit the disk cache

    other_model = openai_oracle(model="other-model")  # the cache is keyed by model
    assert other_model.answer(secrets, questions) == answers
    assert other_model.requests_sent == 3 and len(chat_server.requests) == 6
    assert [b["model"] for b in chat_server.bodies()[3:]] == ["other-model"] * 3

    uncached = openai_oracle(cache_path=None)
    assert uncached.answer(secrets[:1], questions[:1]) == [YES]
    assert len(chat_server.requests) == 7


@pytest.mark.parametrize("concurrency", [1, 8])
def test_openai_keeps_its_concurrency_in_flight_and_no_more(chat_server, openai_oracle, concurrency):
    """A batch is answered with ``concurrency`` requests at once (what `vllm serve` batches on the GPU)."""
    chat_server.delay = 0.2  # a served model's generation time: every request overlaps the next ones
    oracle = openai_oracle(concurrency=concurrency, cache_path=None)
    questions = [f"Is it a cat, question {i}?" for i in range(16)]
    assert oracle.answer(["Cat"] * 16, questions) == [YES] * 16
    assert len(chat_server.requests) == 16 and chat_server.max_in_flight == concurrency


def test_openai_retries_server_errors(chat_server, openai_oracle):
    chat_server.fail_first = 2
    oracle = openai_oracle(max_retries=3)
    start = time.monotonic()
    assert oracle.answer(["Cat"], ["Is it a cat?"]) == [YES]
    assert time.monotonic() - start < 5
    bodies = chat_server.bodies()
    assert len(bodies) == 3 and bodies[0] == bodies[1] == bodies[2]  # the same request, resent
    assert oracle.requests_sent == 1


def test_openai_gives_up_after_max_retries(chat_server, openai_oracle):
    chat_server.fail_first = 2
    oracle = openai_oracle(max_retries=1)
    with pytest.raises(openai.InternalServerError):
        oracle.answer(["Cat"], ["Is it a cat?"])
    assert len(chat_server.requests) == 2
    # The failure was not cached: asking again reaches the (now healthy) server.
    assert oracle.answer(["Cat"], ["Is it a cat?"]) == [YES]
    assert len(chat_server.requests) == 3


def test_openai_timeout_raises_instead_of_hanging(chat_server, openai_oracle):
    chat_server.delay = 2.0
    oracle = openai_oracle(timeout=0.5, max_retries=0)
    start = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        oracle.answer(["Cat"], ["Is it a cat?"])
    assert time.monotonic() - start < 1.8  # gave up at the timeout, did not wait for the server
    assert len(chat_server.requests) == 1
    assert issubclass(openai.APITimeoutError, openai.APIConnectionError)


def test_openai_without_key_or_base_url_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        OpenAIOracle(TASK, model="test-model", cache_path=tmp_path / "c.sqlite")


def test_openai_key_and_base_url_from_the_environment(chat_server, monkeypatch, tmp_path):
    # A base URL alone (a local server) needs no key; a key, when given, is sent as a bearer token.
    monkeypatch.setenv("OPENAI_BASE_URL", chat_server.base_url)
    oracle = OpenAIOracle(TASK, model="test-model", cache_path=None)
    assert oracle.answer(["Cat"], ["Is it a cat?"]) == [YES]
    oracle.close()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local-test")
    oracle = OpenAIOracle(TASK, model="test-model", cache_path=None)
    assert oracle.answer(["Dog"], ["Is it a cat?"]) == [NO]
    oracle.close()
    auth = [{k.lower(): v for k, v in r["headers"].items()}["authorization"] for r in chat_server.requests]
    assert auth[0].startswith("Bearer ") and auth[1] == "Bearer sk-local-test"


def test_openai_oracle_plays_the_env_end_to_end(chat_server, tmp_path):
    env = gym.make(
        "archer/TwentyQuestions-v0",
        oracle="openai",
        oracle_kwargs={"base_url": chat_server.base_url, "model": "test-model", "cache_path": tmp_path / "c.sqlite"},
    )
    try:
        env.reset(options={"word": "cat"})
        obs, reward, terminated, truncated, info = env.step("Is it a cat?")
        assert (reward, terminated, truncated) == (0.0, True, False)
        assert info["success"] is True and info["answer"] == YES and info["word"] == "Cat"
        assert obs == "Questions:\nIs it a cat? Yes.\n"

        env.reset(options={"word": "cat"})
        obs, reward, terminated, truncated, info = env.step("Is it a dog?")
        assert (reward, terminated, truncated) == (-1.0, False, False)
        assert info["success"] is False and info["answer"] == NO
        assert obs == "Questions:\nIs it a dog? No.\n"
        assert len(chat_server.requests) == 2
        assert "The object is: Cat." in chat_server.bodies()[1]["messages"][1]["content"]
    finally:
        env.close()


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("Yes", YES),
        ("yes.", YES),
        (" YES!", YES),
        ("Yes, it is.", YES),
        ('"Yes."', YES),
        ("**Yes**", YES),
        ("`yes`", YES),
        ("True", YES),
        ("No, it isn't", NO),
        ("no", NO),
        ("No.", NO),
        ("Nope.", NO),
        ("  \n no \n", NO),
        ("'No.'", NO),
        ("I'm not sure", INVALID),
        ("Not sure.", INVALID),
        ("", INVALID),
        ("   ", INVALID),
        ("Invalid", INVALID),
        ("Invalid Question.", INVALID),
        ("Maybe.", INVALID),
        ("I think so, yes.", INVALID),  # only the start of the reply counts
        ("Not applicable.", INVALID),
        ("None of those.", INVALID),
        ("Yesterday it was.", INVALID),
        ("Nah", NO),
        ("Yeah, definitely", YES),
    ],
)
def test_normalize_reply(reply, expected):
    assert normalize_reply(reply) == expected
    assert TASK.normalize is normalize_reply


# --- hf: tiny models built from config, offline -------------------------------------------------

WORDS = ["Cat", "Dog", "Banana", "Piano", "Truck", "Chair"]


@pytest.fixture(scope="module")
def tokenizer():
    phrasings = [p for p, _ in KnowledgeBase.default().phrasing_bank()]
    texts = [TASK.system] + phrasings + [TASK.user(w, q) for w in WORDS for q in phrasings[:100]]
    return train_tokenizer(texts, vocab_size=500)


@pytest.fixture(scope="module")
def t5(tokenizer):
    from transformers import T5Config, T5ForConditionalGeneration

    torch.manual_seed(0)
    config = T5Config(
        vocab_size=len(tokenizer), d_model=32, d_ff=64, d_kv=8, num_heads=4, num_layers=2,
        num_decoder_layers=2, pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
        initializer_factor=4.0,  # at the default scale the tiny encoder maps most prompts alike
    )
    # Each model gets its own tokenizer: HFOracle sets left padding on a causal model's tokenizer.
    return T5ForConditionalGeneration(config).eval(), copy.deepcopy(tokenizer)


@pytest.fixture(scope="module")
def gpt2(tokenizer):
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=4, n_positions=1024,
        bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return GPT2LMHeadModel(config).eval(), copy.deepcopy(tokenizer)


def always_says(model_and_tok, word: str):
    """A copy of the model whose every next-token choice is ``word`` (a single token)."""
    model, tok = model_and_tok
    (token_id,) = tok(word, add_special_tokens=False)["input_ids"]
    model = copy.deepcopy(model)

    def force(module, inputs, logits):
        forced = torch.zeros_like(logits)
        forced[..., token_id] = 1.0
        return forced

    model.lm_head.register_forward_hook(force)
    return model, copy.deepcopy(tok)


PAIRS = [("Cat", "Is it alive?"), ("Dog", "Is it a dog?"), ("Banana", "Is it bigger than a breadbox?"),
         ("Piano", "?"), ("Truck", "Does it have wheels and an engine and can it carry heavy loads far?")]

# Prompts of very different lengths, so batches need real padding.
PROMPTS = [f"{TASK.system}\n\n{TASK.user(s, q)}" for s, q in PAIRS] + [
    "Hi", "Is it big?", "a b c d e f g h i j k l m n o p", "Yes.", "The object is: Chair.",
]


def test_hf_oracle_answers_in_the_game_vocabulary(t5):
    model, tok = t5
    oracle = HFOracle(TASK, model=model, tokenizer=tok, device="cpu")
    secrets, questions = zip(*PAIRS)
    answers = oracle.answer(list(secrets), list(questions))
    assert len(answers) == len(PAIRS) and set(answers) <= set(ANSWERS)
    # A seq2seq model is prompted with the system message, a blank line, then the user message.
    raw = oracle.generate([f"{TASK.system}\n\n{TASK.user(s, q)}" for s, q in PAIRS])
    assert answers == [normalize_reply(r) for r in raw]


@pytest.mark.parametrize("which, word, expected", [("t5", "Yes", YES), ("t5", "No", NO),
                                                   ("gpt2", "Yes", YES), ("gpt2", "No", NO)])
def test_hf_oracle_reads_the_reply_not_the_prompt(request, which, word, expected):
    # A model that only ever says `word`: the answer must be `expected` for every question, so the
    # prompt must be cut off a causal model's output and special tokens dropped from a seq2seq one.
    model, tok = always_says(request.getfixturevalue(which), word)
    oracle = HFOracle(TASK, model=model, tokenizer=tok, device="cpu", max_new_tokens=1)
    secrets, questions = zip(*PAIRS)
    assert oracle.answer(list(secrets), list(questions)) == [expected] * len(PAIRS)
    assert oracle.generate(["Is it a cat?"]) == [word]


@pytest.mark.parametrize("which", ["t5", "gpt2"])
def test_hf_batching_does_not_change_replies(request, which):
    model, tok = request.getfixturevalue(which)
    oracle = HFOracle(TASK, model=model, tokenizer=tok, device="cpu", batch_size=8)
    batched = oracle.generate(PROMPTS)
    oracle.batch_size = 1
    one_by_one = oracle.generate(PROMPTS)
    assert batched == one_by_one
    assert len(batched) == len(PROMPTS)
    assert len(set(batched)) > 3  # the replies depend on the prompt, so a padding leak would show
    if which == "gpt2":
        assert oracle.tokenizer.padding_side == "left"


def test_hf_loads_a_local_path(t5, tmp_path):
    model, tok = t5
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    loaded = HFOracle(TASK, model=str(tmp_path), device="cpu")
    assert loaded.is_seq2seq
    in_memory = HFOracle(TASK, model=model, tokenizer=copy.deepcopy(tok), device="cpu")
    assert loaded.generate(PROMPTS) == in_memory.generate(PROMPTS)
    secrets, questions = zip(*PAIRS)
    answers = loaded.answer(list(secrets), list(questions))
    assert answers == in_memory.answer(list(secrets), list(questions))
    assert set(answers) <= set(ANSWERS)


def test_hf_missing_model_names_the_path(tmp_path):
    missing = str(tmp_path / "missing")
    with pytest.raises(ValueError, match="could not load model") as err:
        HFOracle(TASK, model=missing, device="cpu")
    assert missing in str(err.value)


def test_hf_model_object_needs_a_tokenizer(t5):
    with pytest.raises(ValueError, match="tokenizer"):
        HFOracle(TASK, model=t5[0], device="cpu")


def test_hf_oracle_caches_in_memory(t5):
    model, tok = t5
    oracle = HFOracle(TASK, model=model, tokenizer=tok, device="cpu")
    first = oracle.answer(["Cat"], ["Is it big?"])
    assert oracle.answer(["Cat"], ["Is it big?"]) == first
    assert (oracle.backend_calls, oracle.backend_queries) == (1, 1)
    both = oracle.answer(["Cat", "Cat", "Dog"], ["Is it big?"] * 3)
    assert both[:2] == first * 2
    assert (oracle.backend_calls, oracle.backend_queries) == (2, 2)  # only (Dog, ...) was new
    oracle.clear_cache()
    assert oracle.answer(["Cat"], ["Is it big?"]) == first
    assert oracle.backend_queries == 3


# --- choosing a backend by name -----------------------------------------------------------------


class FixedOracle(Oracle):
    def __init__(self, reply: str = YES) -> None:
        super().__init__()
        self.reply = reply

    def _answer_batch(self, secrets, questions):
        return [self.reply] * len(secrets)


def test_make_oracle_rejects_an_unknown_name():
    with pytest.raises(ValueError) as err:
        make_oracle("bogus", knowledge=TwentyQuestionsKnowledgeOracle, task=TASK)
    message = str(err.value)
    assert "'bogus'" in message
    assert all(name in message for name in BACKENDS) and BACKENDS == ("knowledge", "openai", "hf")


def test_make_oracle_by_name_and_instance():
    built = make_oracle("knowledge", knowledge=FixedOracle, task=TASK, oracle_kwargs={"reply": NO})
    assert isinstance(built, FixedOracle) and built.answer(["Cat"], ["Is it a cat?"]) == [NO]
    mine = FixedOracle()
    assert make_oracle(mine, knowledge=FixedOracle, task=TASK) is mine
    with pytest.raises(ValueError, match="oracle_kwargs"):
        make_oracle(mine, knowledge=FixedOracle, task=TASK, oracle_kwargs={"reply": NO})


def test_env_rejects_an_unknown_oracle():
    with pytest.raises(ValueError, match="bogus"):
        gym.make("archer/TwentyQuestions-v0", oracle="bogus")
