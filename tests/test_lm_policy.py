"""LMPolicy: padding-invariant log-probs, learning, generation stopping at the newline, left
truncation, checkpoints, and playing an env. Tiny GPT-2s built from config, offline."""

from __future__ import annotations

import copy
import json
import os

import pytest
import torch

from archer_envs.play import play_episodes
from archer_envs.twenty_questions.knowledge import KnowledgeBase
from archer_envs.twenty_questions.words import WordList
from archer_gym.agents.lm_policy import SETTINGS_FILE, LMPolicy

TINY = {"vocab_size": 600, "n_layer": 2, "n_embd": 64, "n_head": 2, "n_positions": 128}


@pytest.fixture(scope="module", autouse=True)
def few_threads():
    previous = torch.get_num_threads()
    torch.set_num_threads(min(previous, 2))
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def phrasings() -> list[str]:
    bank = [p for p, _ in KnowledgeBase.default().phrasing_bank()]
    return bank[::4][:300]


def transcript(questions: list[str], answers=("Yes.", "No.")) -> str:
    return "Questions:\n" + "".join(f"{q} {answers[i % len(answers)]}\n" for i, q in enumerate(questions))


@pytest.fixture(scope="module")
def texts(phrasings) -> list[str]:
    return phrasings + [transcript(phrasings[i : i + 6]) for i in range(0, len(phrasings), 6)]


@pytest.fixture(scope="module")
def base_policy(texts) -> LMPolicy:
    return LMPolicy.offline_default(texts, seed=0, device="cpu", max_new_tokens=16, **TINY)


@pytest.fixture
def policy(base_policy) -> LMPolicy:
    return copy.deepcopy(base_policy)  # tests that train or change settings get their own copy


# --- construction -------------------------------------------------------------------------------------
def test_offline_default_settings(base_policy):
    p = base_policy
    assert p.tokenizer.encode("\n", add_special_tokens=False) == [p.newline_id]
    assert p.tokenizer.pad_token_id == 0 and p.tokenizer.padding_side == "left"
    assert p.max_context_tokens == TINY["n_positions"] - 16
    assert p.device == "cpu" and p.model.config.n_layer == 2
    assert sum(t.numel() for t in p.parameters()) == sum(t.numel() for t in p.model.parameters())
    p.eval()
    assert not p.model.training
    p.train()
    assert p.model.training
    # Same seed, same weights; the caller's RNG is left alone.
    state = torch.random.get_rng_state()
    again = LMPolicy.offline_default(["Is it alive?"] * 3, seed=0, device="cpu", n_layer=1, n_embd=32, n_head=2)
    other = LMPolicy.offline_default(["Is it alive?"] * 3, seed=0, device="cpu", n_layer=1, n_embd=32, n_head=2)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(a, b) for a, b in zip(again.parameters(), other.parameters()))


def test_constructor_rejects_bad_settings(base_policy):
    with pytest.raises(ValueError, match="max_new_tokens"):
        LMPolicy(base_policy.model, base_policy.tokenizer, device="cpu", max_new_tokens=0)
    with pytest.raises(ValueError, match="temperature"):
        LMPolicy(base_policy.model, base_policy.tokenizer, device="cpu", temperature=-1)
    with pytest.raises(ValueError, match="500"):
        LMPolicy(base_policy.model, base_policy.tokenizer, device="cpu", max_context_tokens=500)


def test_tokenizer_is_copied_and_gets_a_pad_token(base_policy):
    tok = copy.deepcopy(base_policy.tokenizer)
    tok.pad_token = None
    tok.padding_side = "right"
    p = LMPolicy(base_policy.model, tok, device="cpu")
    assert p.tokenizer.pad_token == p.tokenizer.eos_token and p.tokenizer.padding_side == "left"
    assert tok.pad_token is None and tok.padding_side == "right"


# --- 1. padding invariance ----------------------------------------------------------------------------
def test_log_probs_do_not_depend_on_batch_mates(base_policy, phrasings):
    p = base_policy
    obs, action = transcript(phrasings[:3]), phrasings[3]
    long_obs = transcript(phrasings[10:25])
    batch_obs = [long_obs, "Questions:\n", obs, transcript(phrasings[30:31])]
    batch_act = [phrasings[40] + " " + phrasings[41] + " " + phrasings[42], "Dog?", action, "Is it"]
    alone = p.log_probs([obs], [action])
    batch = p.log_probs(batch_obs, batch_act)
    assert alone.shape == (1,) and batch.shape == (4,)
    assert torch.allclose(alone[0], batch[2], atol=1e-5)
    for i in range(4):  # every member, not just one
        assert torch.allclose(p.log_probs([batch_obs[i]], [batch_act[i]])[0], batch[i], atol=1e-5)

    tok_alone, mask_alone = p.log_probs([obs], [action], reduction="none")
    tok_batch, mask_batch = p.log_probs(batch_obs, batch_act, reduction="none")
    n = len(p.tokenizer.encode(action, add_special_tokens=False)) + 1  # the action's tokens and the newline
    assert tok_alone.shape == mask_alone.shape == (1, n)
    assert mask_alone.all() and mask_batch[2].sum() == n and mask_batch[2, :n].all()
    assert torch.allclose(tok_alone[0], tok_batch[2, :n], atol=1e-5)
    assert torch.all(tok_batch[~mask_batch] == 0)
    assert torch.allclose((tok_batch * mask_batch).sum(-1), batch, atol=1e-5)
    assert torch.all(batch < 0)


def test_log_probs_argument_errors(base_policy):
    with pytest.raises(ValueError, match="2 observations but 1 actions"):
        base_policy.log_probs(["a", "b"], ["x"])
    with pytest.raises(ValueError, match="reduction"):
        base_policy.log_probs(["a"], ["x"], reduction="mean")
    with pytest.raises(ValueError, match="newline"):
        base_policy.log_probs(["a"], ["x\ny"])
    assert base_policy.log_probs([], []).shape == (0,)


# --- 2. differentiable, and learning works ----------------------------------------------------------
def test_log_probs_are_differentiable_and_training_imitates_an_action(policy, phrasings):
    obs, action = transcript(phrasings[:2]), "Is it a kind of animal?"
    loss = -policy.log_probs([obs, "Questions:\n"], [action, phrasings[5]]).mean()
    loss.backward()
    grads = [p.grad for p in policy.parameters() if p.grad is not None]
    assert grads and any(g.abs().sum() > 0 for g in grads)

    policy.zero_grad()
    start = policy.log_probs([obs], [action]).item()
    optimizer = torch.optim.Adam(policy.parameters(), lr=3e-3)
    for _ in range(300):
        optimizer.zero_grad()
        loss = -policy.log_probs([obs], [action]).mean()
        if loss.item() < 0.2:  # π(action | obs) > 0.8
            break
        loss.backward()
        optimizer.step()
    end = policy.log_probs([obs], [action]).item()
    assert end > start + 10 and end > -1.0
    tokens_before = policy.tokens_generated
    assert policy.generate([obs], greedy=True) == [action]  # and it stopped at the newline
    n = len(policy.tokenizer.encode(action, add_special_tokens=False)) + 1
    assert policy.tokens_generated - tokens_before == n
    policy.temperature = 0.0
    assert policy.act([obs, obs]) == [action, action]


# --- 3. generation --------------------------------------------------------------------------------------
def test_generation_stops_at_newline_and_is_reproducible(base_policy, phrasings):
    p = base_policy
    observations = [transcript(phrasings[i : i + k]) for i, k in ((0, 0), (3, 1), (7, 4), (20, 12))]
    before = p.tokens_generated
    greedy = p.generate(observations, greedy=True)
    assert len(greedy) == 4 and all(isinstance(a, str) and "\n" not in a and a == a.strip() for a in greedy)
    assert p.tokens_generated > before
    assert p.tokens_generated - before <= 4 * p.max_new_tokens
    assert p.generate(observations, greedy=True) == greedy
    assert p.generate(observations, temperature=0.0) == greedy
    # Greedy output of one observation does not depend on its batch-mates (left padding).
    assert [p.generate([o], greedy=True)[0] for o in observations] == greedy

    torch.manual_seed(123)
    first = p.generate(observations * 2, temperature=1.0)
    torch.manual_seed(123)
    second = p.generate(observations * 2, temperature=1.0)
    assert first == second and all("\n" not in a for a in first)
    assert len(set(first)) > 1  # an untrained model samples varied text
    before = p.tokens_generated
    assert p.generate([]) == [] and p.tokens_generated == before


def test_generation_beyond_the_batch_size_runs_in_chunks_in_order(base_policy, phrasings, monkeypatch):
    """A request larger than ``generate_batch_size`` (CHAI's k candidates for a whole pool) is split, so
    that memory stays bounded, and returns the same greedy utterances in the same order."""
    p = base_policy
    observations = [transcript(phrasings[i : i + k]) for i, k in ((0, 0), (3, 1), (7, 4), (20, 12), (1, 2))]
    whole = p.generate(observations, greedy=True)
    batches = []
    real = p.model.generate
    monkeypatch.setattr(p.model, "generate", lambda **kw: batches.append(len(kw["input_ids"])) or real(**kw))
    monkeypatch.setattr(p, "generate_batch_size", 2)
    assert p.generate(observations, greedy=True) == whole
    assert batches == [2, 2, 1]


def test_generation_leaves_train_mode_alone(policy):
    policy.train()
    policy.generate(["Questions:\n"])
    assert policy.model.training
    policy.eval()
    policy.generate(["Questions:\n"])
    assert not policy.model.training


# --- 4. left truncation ------------------------------------------------------------------------------
def test_long_observations_keep_their_newest_tokens(policy, phrasings):
    lines = [f"{q} {'Yes.' if i % 2 else 'No.'}\n" for i, q in enumerate(phrasings[:150])]
    long_obs = "Questions:\n" + "".join(lines)
    ids = policy.tokenizer.encode(long_obs, add_special_tokens=False)
    assert len(ids) > 10 * policy.model.config.n_positions
    # Untouched defaults: a prompt far past the model's 128 positions still works.
    (action,) = policy.generate([long_obs], greedy=True)
    assert "\n" not in action
    assert torch.isfinite(policy.log_probs([long_obs], ["Is it a dog?"])).all()

    # Cut at a line boundary so the kept tokens are exactly the tokens of the last lines' text.
    for j in range(len(lines)):
        suffix = "".join(lines[j:])
        suffix_ids = policy.tokenizer.encode(suffix, add_special_tokens=False)
        if len(suffix_ids) <= 80:
            break
    assert suffix_ids == ids[-len(suffix_ids) :]
    policy.max_context_tokens = len(suffix_ids)
    assert policy.generate([long_obs], greedy=True) == policy.generate([suffix], greedy=True)
    actions = ["Is it a dog?", phrasings[200]]
    assert torch.allclose(
        policy.log_probs([long_obs, long_obs], actions), policy.log_probs([suffix, suffix], actions), atol=1e-5
    )
    # The prompt is cut further when prompt + action would not fit the model's positions.
    n_positions = policy.model.config.n_positions
    for k in range(1, 30):
        long_action = " ".join(phrasings[200 : 200 + k])
        n_action = len(policy.tokenizer.encode(long_action, add_special_tokens=False)) + 1
        if len(suffix_ids) + n_action > n_positions:
            break
    assert len(suffix_ids) + n_action > n_positions > n_action
    assert torch.isfinite(policy.log_probs([long_obs], [long_action])).all()
    with pytest.raises(ValueError, match="does not fit"):
        policy.log_probs([long_obs], [" ".join(phrasings[:60])])


# --- 5. checkpoints -----------------------------------------------------------------------------------
def test_save_and_load_round_trip(policy, phrasings, tmp_path):
    policy.temperature = 0.7
    path = tmp_path / "ckpt"
    observations, actions = [transcript(phrasings[:3]), "Questions:\n"], [phrasings[50], phrasings[60]]
    expected = policy.log_probs(observations, actions).detach()
    policy.save_pretrained(path)
    loaded = LMPolicy.from_pretrained(path, device="cpu")
    assert torch.allclose(loaded.log_probs(observations, actions), expected, atol=1e-6)
    assert (loaded.max_new_tokens, loaded.temperature, loaded.max_context_tokens) == (16, 0.7, 112)
    assert loaded.newline_id == policy.newline_id
    assert loaded.generate(observations, greedy=True) == policy.generate(observations, greedy=True)
    assert LMPolicy.from_pretrained(str(path), device="cpu", temperature=0.0).temperature == 0.0

    # Saving over a checkpoint replaces it and leaves no temporary siblings behind.
    loaded.max_new_tokens = 8
    loaded.save_pretrained(path)
    assert json.loads((path / SETTINGS_FILE).read_text())["max_new_tokens"] == 8
    assert sorted(os.listdir(tmp_path)) == ["ckpt"]
    reloaded = LMPolicy.from_pretrained(path, device="cpu")
    assert reloaded.max_new_tokens == 8 and reloaded.max_context_tokens == 120  # derived again from the model


def test_loading_errors_name_the_path(policy, tmp_path):
    missing = tmp_path / "no" / "such" / "checkpoint"
    with pytest.raises(FileNotFoundError, match="checkpoint"):
        LMPolicy.from_pretrained(missing)
    with pytest.raises(FileNotFoundError) as err:
        LMPolicy.from_pretrained(str(missing))
    assert str(missing) in str(err.value)

    corrupt = tmp_path / "corrupt"
    policy.save_pretrained(corrupt)
    (corrupt / "config.json").write_text("{ this is not json")
    with pytest.raises(ValueError) as err:
        LMPolicy.from_pretrained(corrupt)
    assert str(corrupt) in str(err.value)

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError) as err:
        LMPolicy.from_pretrained(empty)
    assert str(empty) in str(err.value)

    bad_settings = tmp_path / "bad_settings"
    policy.save_pretrained(bad_settings)
    (bad_settings / SETTINGS_FILE).write_text("[")
    with pytest.raises(ValueError) as err:
        LMPolicy.from_pretrained(bad_settings)
    assert str(bad_settings) in str(err.value)


@pytest.mark.parametrize("damage, problem", [
    (lambda data: data[: len(data) // 2], "truncated or corrupt"),
    (lambda data: data[:-1], "truncated or corrupt"),
    (lambda data: data[:6], "truncated or corrupt"),
    (lambda data: b"", "is empty"),
], ids=["half", "last-byte-missing", "header-cut", "empty"])
def test_a_truncated_or_empty_weights_file_is_named(policy, tmp_path, damage, problem):
    path = tmp_path / "ckpt"
    policy.save_pretrained(path)
    weights = path / "model.safetensors"
    weights.write_bytes(damage(weights.read_bytes()))
    with pytest.raises(ValueError, match=problem) as err:
        LMPolicy.from_pretrained(path)
    assert str(weights) in str(err.value)


def test_an_empty_or_incomplete_directory_says_what_is_missing(policy, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="is an empty directory: expected an LM policy checkpoint") as err:
        LMPolicy.from_pretrained(empty)
    assert "sentencepiece" not in str(err.value)  # transformers' own hint, which misleads here
    damaged = tmp_path / "no_tokenizer"
    policy.save_pretrained(damaged)
    (damaged / "tokenizer.json").write_text("")
    with pytest.raises(ValueError, match="tokenizer.json' is empty"):
        LMPolicy.from_pretrained(damaged)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (damaged / name).unlink()
    with pytest.raises(ValueError, match="has no tokenizer files"):
        LMPolicy.from_pretrained(damaged)


def test_cli_eval_and_a_resumed_train_name_the_damaged_weights_file(policy, tmp_path):
    from click.testing import CliRunner

    from archer_gym.agents.checkpoint import save_checkpoint
    from archer_gym.cli import main

    agent = tmp_path / "agent"
    policy.save_pretrained(agent)
    weights = agent / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    out = CliRunner().invoke(main, ["eval", "--agent", str(agent), "--env", "archer/TwentyQuestionsSubset-v0"])
    assert out.exit_code == 2 and str(weights) in out.output and "truncated" in out.output, out.output

    # `archer train` resumes OUT/checkpoint: a damaged one is named, not a safetensors traceback.
    init, run = tmp_path / "init", tmp_path / "run"
    policy.save_pretrained(init)
    save_checkpoint(run / "checkpoint", policy, {"algorithm": "archer"}, {"iteration": 1})
    weights = run / "checkpoint" / "policy" / "model.safetensors"
    weights.write_bytes(b"")
    out = CliRunner().invoke(main, ["train", "archer", "--env", "archer/TwentyQuestionsSubset-v0",
                                    "--init", str(init), "--out", str(run)])
    assert out.exit_code == 2 and str(weights) in out.output and "is empty" in out.output, out.output


def test_cli_eval_samples_a_checkpoint_at_a_temperature_reproducibly(policy, tmp_path):
    import json

    from click.testing import CliRunner

    from archer_gym.cli import main

    agent = tmp_path / "agent"
    policy.save_pretrained(agent)

    def evaluate(*extra):
        out_dir = tmp_path / f"eval-{len(list(tmp_path.iterdir()))}"
        out = CliRunner().invoke(main, ["eval", "--agent", str(agent), "--env", "archer/TwentyQuestionsSubset-v0",
                                        "--episodes", "3", "--out", str(out_dir), *extra])
        assert out.exit_code == 0, out.output
        return [json.loads(line)["actions"] for line in (out_dir / "episodes.jsonl").read_text().splitlines()]

    greedy = evaluate()
    sampled = evaluate("--temperature", "1", "--seed", "4")
    assert sampled == evaluate("--temperature", "1", "--seed", "4")  # seeded by --seed
    assert sampled != greedy and greedy == evaluate("--temperature", "0")
    out = CliRunner().invoke(main, ["eval", "--agent", "expert", "--env", "archer/TwentyQuestionsSubset-v0",
                                    "--temperature", "1"])
    assert out.exit_code == 2 and "--temperature" in out.output and "checkpoint agents only" in out.output


# --- 6. playing an env ---------------------------------------------------------------------------------
def test_act_plays_twenty_questions(base_policy):
    assert len(base_policy.act(["Questions:\n"] * 3)) == 3
    secrets = WordList.default().names("test")[:2]
    results = play_episodes(base_policy, "archer/TwentyQuestions-v0", secrets, batch_size=2, max_turns=3)
    assert [r.secret for r in results] == secrets
    assert all(1 <= r.turns <= 3 and len(r.answers) == r.turns for r in results)


def test_generation_never_feeds_the_pad_id_without_an_attention_mask(policy, phrasings):
    # transformers drops an all-ones mask (prompts of equal length) and warns "We strongly recommend passing
    # in an `attention_mask`" when a step's input holds the pad id: the filler of rows that have stopped, or a
    # sampled pad token.
    fed = []

    def record(module, args, kwargs):
        ids = args[0] if args else kwargs.get("input_ids")
        fed.append((ids.clone(), kwargs.get("attention_mask")))

    def likelier_newline(module, args, logits):  # rows then stop after a few tokens, at different steps
        logits[..., policy.newline_id] += 4.0
        logits[..., policy.tokenizer.pad_token_id] += 4.0  # and the pad token would often be sampled
        return logits

    handle = policy.model.transformer.register_forward_pre_hook(record, with_kwargs=True)
    boost = policy.model.lm_head.register_forward_hook(likelier_newline)
    try:
        torch.manual_seed(0)
        before = policy.tokens_generated
        policy.generate([transcript(phrasings[:2])] * 16, temperature=1.0)
    finally:
        handle.remove()
        boost.remove()
    assert len(fed) == policy.max_new_tokens  # the batch ran to the end ...
    assert policy.tokens_generated - before < 16 * policy.max_new_tokens  # ... after some rows had stopped
    pad = policy.tokenizer.pad_token_id
    assert all(mask is not None or pad not in ids for ids, mask in fed[1:])


def test_saving_and_loading_print_no_weight_progress_bars(policy, tmp_path, capfd):
    from transformers.utils import logging as hf_logging

    policy.save_pretrained(tmp_path / "p")
    LMPolicy.from_pretrained(tmp_path / "p")
    err = capfd.readouterr().err
    assert "Loading weights" not in err and "Writing model shards" not in err
    # Bars outside our loads and saves are left as they were.
    list(hf_logging.tqdm(range(3), desc="Loading weights"))
    assert "Loading weights" in capfd.readouterr().err or not hf_logging.is_progress_bar_enabled()


def test_a_saved_policy_directory_gets_the_permissions_the_umask_gives_any_directory(policy, tmp_path):
    previous = os.umask(0o022)
    try:
        policy.save_pretrained(tmp_path / "p")
    finally:
        os.umask(previous)
    assert (tmp_path / "p").stat().st_mode & 0o777 == 0o755



def test_scores_are_of_the_distribution_generate_samples_from(policy, phrasings):
    """generate() never samples the pad token (it is not text), so the log-probs that every algorithm's
    ratio and advantage weighting use give it probability 0 too: the two distributions are the same."""
    assert policy._unsampled_ids(policy._stop_token_ids()) == [policy.tokenizer.pad_token_id]
    obs, action = transcript(phrasings[:2]), phrasings[3]
    scores = policy.score([obs], [action], entropy=True)
    # the same log-probs by hand: the model's logits with the pad logit removed
    ids = policy.tokenizer.encode(obs, add_special_tokens=False)[-policy.max_context_tokens:]
    act = policy.tokenizer.encode(action, add_special_tokens=False) + [policy.newline_id]
    with torch.no_grad():
        logits = policy.model(torch.tensor([ids + act])).logits[0, len(ids) - 1 : -1].float()
    pad = policy.tokenizer.pad_token_id
    kept = torch.log_softmax(torch.cat([logits[:, :pad], logits[:, pad + 1 :]], dim=-1), dim=-1)
    target = torch.tensor([a - (a > pad) for a in act])
    expected = kept.gather(-1, target.unsqueeze(-1)).squeeze(-1)
    torch.testing.assert_close(scores.logprobs[0, : len(act)].detach(), expected, atol=1e-4, rtol=1e-4)
    assert torch.isfinite(scores.entropy).all()  # 0 · log 0 is 0, not nan
