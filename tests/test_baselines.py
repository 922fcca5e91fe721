"""The baselines learn: on the two-step toy env with a delayed reward, token-level PPO and online
filtered BC make the better first utterance likely, and CHAI's best-of-k choice (the critic picking
among samples of a frozen policy) wins where the policy alone wins half the time. Plus GAE's
equations, the comparison runner end to end on a tiny budget, and its results schema."""

import copy
import json
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import torch
from click.testing import CliRunner
from toy import START, cloned_policy, p_good, register

from archer_gym.agents.algorithms.chai import CHAILearner
from archer_gym.agents.algorithms.chai import make_config as chai_config
from archer_gym.agents.algorithms.filtered_bc import FilteredBCLearner
from archer_gym.agents.algorithms.filtered_bc import make_config as fbc_config
from archer_gym.agents.algorithms.ppo import PPOLearner, gae
from archer_gym.agents.algorithms.ppo import make_config as ppo_config
from archer_gym.agents.critic import make_critic
from archer_gym.agents.rollout import RolloutCollector
from archer_gym.agents.training import Sampler
from archer_gym.baselines.compare import (
    compare,
    mean_ci95,
    results_markdown,
    run_finished,
    sample_efficiency,
    summarize,
    validate_results,
)
from archer_gym.cli import main as cli

TOY = register()
GAMMA = 0.9
TOY_CRITIC = dict(critic_model=None, critic_pool_size=None, critic_settled_tol=None, critic_layers=1, critic_width=32,
                  critic_heads=2, critic_mlp_hidden=32, critic_max_tokens=64)


@pytest.fixture(scope="module")
def toy_policy():
    torch.set_num_threads(2)
    return cloned_policy()


def run_toy(learner, iterations, episodes=16, seed=0):
    """Collect with the learner's acting agent, update; returns each iteration's row and train return."""
    rows = []
    with RolloutCollector(TOY, num_envs=8, split=None, seed=seed) as collector:
        for it in range(1, iterations + 1):
            rollout = collector.collect(learner.acting_agent(), num_episodes=episodes)
            rows.append({**learner.update(rollout, it), "train_return": float(np.mean(rollout.returns))})
    return rows


def success_rate(agent, episodes=64, seed=100):
    with RolloutCollector(TOY, num_envs=16, split=None, seed=seed) as collector:
        return float(np.mean(collector.collect(agent, num_episodes=episodes).successes))


# --- PPO ------------------------------------------------------------------------------------------
def test_gae_discounts_between_utterances_only():
    # Two utterances of 2 and 1 tokens; reward 1 on the last token; γ at utterance ends, 1 inside.
    rewards = np.array([0.0, 0.0, 1.0])
    values = np.array([0.5, 0.6, 0.8])
    gammas = np.array([1.0, 0.9, 0.9])
    lambdas = np.array([1.0, 0.5, 0.5])
    adv, ret = gae(rewards, values, gammas, lambdas, last_value=0.0)
    d2 = 1.0 + 0.9 * 0.0 - 0.8
    d1 = 0.0 + 0.9 * 0.8 - 0.6
    d0 = 0.0 + 1.0 * 0.6 - 0.5
    a2 = d2
    a1 = d1 + 0.9 * 0.5 * a2
    a0 = d0 + 1.0 * 1.0 * a1
    np.testing.assert_allclose(adv, [a0, a1, a2])
    np.testing.assert_allclose(ret, adv + values)
    # λ = 1 everywhere: the return is the discounted Monte Carlo return whatever the values
    _, mc = gae(rewards, values, gammas, np.ones(3))
    np.testing.assert_allclose(mc, [0.9, 0.9, 1.0])
    with pytest.raises(ValueError, match="one length"):
        gae(rewards, values[:2], gammas, lambdas)


def test_ppo_prefers_the_better_first_utterance_and_its_value_loss_falls(toy_policy):
    torch.manual_seed(0)
    cfg = ppo_config(env_id=TOY, gamma=GAMMA, lr=1e-3, value_lr=3e-3, minibatch_size=16, entropy_coef=0.0)
    learner = PPOLearner(copy.deepcopy(toy_policy), cfg)
    before = p_good(learner.policy)
    rows = run_toy(learner, iterations=12)
    after = p_good(learner.policy)
    assert before < 0.6 and after > 0.8, (before, after)
    # the first iteration's rollouts come from the starting policy (it learns within the next two)
    assert np.mean([r["train_return"] for r in rows[-3:]]) > rows[0]["train_return"] + 0.2
    assert np.mean([r["value_loss"] for r in rows[-3:]]) < 0.5 * rows[0]["value_loss"]
    assert all(r["approx_kl"] >= 0 and 0 <= r["clip_fraction"] <= 1 for r in rows)


def test_ppo_ratio_is_one_before_the_first_step_and_kl_penalty_needs_a_reference(toy_policy):
    cfg = ppo_config(env_id=TOY, gamma=GAMMA, lr=0.0, value_lr=1e-3, minibatch_size=64, ppo_epochs=1)
    learner = PPOLearner(copy.deepcopy(toy_policy), cfg)
    assert learner.reference is None
    rows = run_toy(learner, iterations=1)
    assert rows[0]["approx_kl"] == pytest.approx(0.0, abs=1e-6) and rows[0]["clip_fraction"] == 0.0
    assert rows[0]["kl_to_start"] is None
    with_kl = PPOLearner(copy.deepcopy(toy_policy), ppo_config(env_id=TOY, gamma=GAMMA, kl_coef=0.1))
    assert with_kl.reference is not None
    assert run_toy(with_kl, iterations=1)[0]["kl_to_start"] == pytest.approx(0.0, abs=1e-5)  # π = π_ref so far


def test_ppo_config_rejects_bad_values():
    with pytest.raises(ValueError, match="clip_range"):
        ppo_config(clip_range=0.0)
    with pytest.raises(ValueError, match="temperature"):
        ppo_config(temperature=0.7)  # the ratio uses temperature-1 log-probs
    with pytest.raises(ValueError, match="unknown PPOConfig field"):
        ppo_config(critic_steps=3)


# --- online filtered BC ---------------------------------------------------------------------------
def test_filtered_bc_imitates_the_best_trajectories_so_far(toy_policy):
    torch.manual_seed(0)
    cfg = fbc_config(env_id=TOY, gamma=GAMMA, lr=3e-3, bc_steps=4, batch_size=16, keep_fraction=0.1)
    learner = FilteredBCLearner(copy.deepcopy(toy_policy), cfg)
    before = p_good(learner.policy)
    rows = run_toy(learner, iterations=8)
    after = p_good(learner.policy)
    assert before < 0.6 and after > 0.8, (before, after)
    assert all(r["filter_threshold"] == 1.0 for r in rows)  # the 90th percentile of 0/1 returns: the wins
    # every kept utterance comes from a won episode: 'red' first, then 'go'
    _, pairs, kept = learner.filtered()
    assert kept > 0 and {a for o, a in pairs if o == START} == {"red"}
    assert np.mean([r["bc_loss"] for r in rows[-2:]]) < rows[0]["bc_loss"]


def test_filtered_bc_threshold_is_the_quantile_of_all_collected_returns(toy_policy):
    learner = FilteredBCLearner(copy.deepcopy(toy_policy),
                                fbc_config(env_id=TOY, keep_fraction=0.25, max_trajectories_kept=8))
    learner.add([(float(r), [("s", f"a{r}")]) for r in range(10)])
    assert len(learner.pool) == 8  # the oldest two were dropped
    threshold, pairs, kept = learner.filtered()
    assert threshold == pytest.approx(np.quantile(np.arange(2, 10), 0.75))
    assert kept == 2 and [a for _, a in pairs] == ["a8", "a9"]
    with pytest.raises(ValueError, match="keep_fraction"):
        fbc_config(keep_fraction=0.0)


# --- CHAI -----------------------------------------------------------------------------------------
def chai_learner(policy, **overrides):
    settings = dict(env_id=TOY, gamma=GAMMA, batch_size=32, critic_lr=3e-3, critic_steps=8, k=5, prefill_buffer=False,
                    **TOY_CRITIC)
    settings.update(overrides)
    cfg = chai_config(**settings)
    torch.manual_seed(0)
    policy = copy.deepcopy(policy)
    return CHAILearner(policy, make_critic(cfg, policy), cfg)


def test_chai_picks_the_better_utterance_while_the_policy_stays_frozen(toy_policy):
    learner = chai_learner(toy_policy)
    weights = [p.detach().clone() for p in learner.policy.parameters()]
    policy_alone = success_rate(Sampler(learner.policy, 1.0))
    rows = run_toy(learner, iterations=25)
    chosen = success_rate(learner.evaluation_agent())
    assert 0.3 < policy_alone < 0.7 and chosen > 0.9, (policy_alone, chosen)
    with torch.no_grad():  # the critic learned why: Q(s0, red) ≈ γ, Q(s0, blue) ≈ 0
        q1, q2 = learner.critic.q_values([START, START], ["red", "blue"])
    q = torch.minimum(q1, q2)
    assert q[0] - q[1] > 0.5 and all(np.isfinite(r["critic_loss"]) for r in rows)
    assert all(torch.equal(a, b) for a, b in zip(weights, learner.policy.parameters()))  # the actor never moves


def test_chai_trusts_its_critic_only_once_it_has_settled(toy_policy, monkeypatch):
    learner = chai_learner(toy_policy, k=4, critic_settled_tol=0.1, critic_window=1)
    calls = []
    real_generate = learner.policy.generate
    monkeypatch.setattr(learner.policy, "generate",
                        lambda obs, **kw: calls.append(len(obs)) or real_generate(obs, **kw))
    learner.best_of_k([START, START])
    assert calls == [2] and not learner.trusted  # untrusted: the frozen policy's own samples, no critic choice
    learner.critic_losses = [1.0, 0.5]  # still falling by half
    assert not learner.critic_settled()
    learner.critic_losses = [1.0, 0.5, 0.48]  # within 10%
    assert learner.critic_settled()
    learner.trusted = True
    calls.clear()
    learner.best_of_k([START, START])
    assert calls == [8]  # k candidates per observation, the critic picks


def test_chai_v_target_uses_the_best_of_k_action(toy_policy, monkeypatch):
    learner = chai_learner(toy_policy, k=3)
    calls = []

    def fake_generate(observations, temperature=None, greedy=False):
        calls.append(len(observations))
        return ["blue", "red", "blue"] * (len(observations) // 3)

    monkeypatch.setattr(learner.policy, "generate", fake_generate)
    with torch.no_grad():  # make Q(s, red) the highest for the online critic
        q = lambda obs, acts: (torch.tensor([1.0 if a == "red" else 0.0 for a in acts]),) * 2  # noqa: E731
        monkeypatch.setattr(learner.critic, "q_values", q)
        assert learner.best_of_k([START, START]) == ["red", "red"]
    assert calls == [6]  # k samples per observation in one batched call
    assert learner.sample_actions([START]) == ["red"]  # the action y_V = Q̄(s, a*) is computed at


# --- the comparison runner ------------------------------------------------------------------------
TINY = {
    "common": 'behaviour_episodes = 12\nexpert_episodes = 6\nbc_epochs = 1\nbc_batch_size = 16\npolicy_layers = 1\n'
              'policy_width = 32\npolicy_heads = 2\nmax_new_tokens = 10\nrollouts_per_iteration = 4\nnum_envs = 4\n'
              'eval_episodes = 4\neval_every = 1\ncheckpoint_every = 1\n',
    "critic": 'critic_pool_size = 16\ncritic_mlp_hidden = 32\n'
              'batch_size = 8\ncritic_steps = 1\n',
    # one iteration: the actor must step in it (the fixed warm-up alone gates it)
    "archer": 'actor_steps = 1\nwarmup_iterations = 0\nmax_warmup_iterations = 0\n',
    "chai": 'k = 2\n',
    "ppo": 'minibatch_size = 32\nppo_epochs = 1\n',
    "filtered_bc": 'batch_size = 8\nbc_steps = 1\n',
}


def tiny_config_dir(tmp_path):
    folder = tmp_path / "configs" / "TwentyQuestions-v0"
    folder.mkdir(parents=True)
    for algo in ("archer", "ppo", "filtered_bc", "chai"):
        text = TINY["common"] + (TINY["critic"] if algo in ("archer", "chai") else "") + TINY[algo]
        (folder / f"{algo}.toml").write_text(text)
    return tmp_path / "configs"


def test_compare_runs_every_algorithm_end_to_end_and_resumes(tmp_path):
    out = tmp_path / "cmp"
    config_dir = tiny_config_dir(tmp_path)
    results = compare("archer/TwentyQuestions-v0", ["archer", "ppo", "filtered_bc", "chai"], seeds=2, budget=4,
                      out=out, config_dir=config_dir, echo=lambda _: None, command="archer compare --budget 8")
    validate_results(json.loads((out / "results.json").read_text()))
    assert [r["algo"] for r in results["algorithms"]] == ["archer", "ppo", "filtered_bc", "chai"]
    for r in results["algorithms"]:
        assert r["seeds"] == [0, 1] and r["trajectories"] == 4 and len(r["per_seed_return"]) == 2
        assert [p["trajectories"] for p in r["curve"]] == [0, 4] and all(p["n"] == 2 for p in r["curve"])
        assert r["return_ci95"] is not None and -20.0 <= r["mean_return"] <= 0.0
        assert r["iteration_s"]["total"] > 0
    by_algo = {r["algo"]: r for r in results["algorithms"]}
    assert by_algo["filtered_bc"]["iteration_s"]["critic"] == 0.0 and by_algo["chai"]["iteration_s"]["actor"] == 0.0
    # every run starts from the one BC checkpoint: the curves share their first point per seed
    # CHAI acts best-of-k
    assert len({r["curve"][0]["mean"] for r in results["algorithms"] if r["algo"] != "chai"}) == 1
    assert (out / "learning_curves.png").stat().st_size > 10_000
    assert "| ArCHer |" in (out / "results.md").read_text() and "no actor step" not in (out / "results.md").read_text()
    assert results["start_return"] == by_algo["archer"]["curve"][0]["mean"]  # the runs' own BC point
    # a second call finds every run finished and rewrites the same table without training
    from archer_gym.baselines.compare import RunSpec

    spec = RunSpec("ppo", 1, "archer/TwentyQuestions-v0", str(out / "ppo" / "seed-1"), "cpu", 4, None, ())
    assert run_finished(spec)
    mtime = (out / "ppo" / "seed-1" / "checkpoint" / "training_state.pt").stat().st_mtime
    again = compare("archer/TwentyQuestions-v0", ["ppo"], seeds=2, budget=4, out=out, config_dir=config_dir,
                    echo=lambda _: None)
    assert again["algorithms"][0]["per_seed_return"] == by_algo["ppo"]["per_seed_return"]
    assert (out / "ppo" / "seed-1" / "checkpoint" / "training_state.pt").stat().st_mtime == mtime


def test_compare_rejects_bad_requests(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["compare", "--algos", "archer,sarsa", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "unknown algorithm 'sarsa'" in result.output
    result = runner.invoke(cli, ["compare", "--algos", "ppo", "--set", "nonsense=1", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "nonsense" in result.output
    # 2 iterations of 32 end within the cpu preset's 5 warm-up iterations: refused before any run or BC start
    result = runner.invoke(cli, ["compare", "--algos", "ppo,archer", "--budget", "64", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "max_trajectories=64" in result.output and "warmup_iterations" in result.output
    assert not (tmp_path / "x").exists()
    result = runner.invoke(cli, ["compare", "--jobs", "2", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "--jobs is gone" in result.output and "--ray" in result.output
    result = runner.invoke(cli, ["compare", "--algos", "ppo", "--gpus-per-run", "1", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "gpus_per_run" in result.output and "--ray" in result.output
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "ray", None)  # as if the ray extra were not installed
        result = runner.invoke(cli, ["compare", "--algos", "ppo", "--ray", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "pip install 'archer-gym[ray]'" in result.output
    result = runner.invoke(cli, ["compare", "--algos", "ppo", "--set", "clip_range=0", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "clip_range" in result.output
    assert not (tmp_path / "x").exists()  # refused before any work
    result = runner.invoke(cli, ["train", "ppo", "--env", "archer/TwentyQuestions-v0", "--set", "clip_range=-1",
                                 "--out", str(tmp_path / "y")])
    assert result.exit_code == 2 and "clip_range" in result.output


def test_results_schema_rejects_malformed_results():
    records = [{"algo": "ppo", "seed": s, "trajectories": 8, "iterations": 2, "wall_time_s": 1.0, "eval_s": 0.1,
                "iteration_s": {"rollout": 0.5, "critic": 0.0, "actor": 0.2, "total": 0.7}, "final_return": -19.0 + s,
                "final_success": 0.0, "final_episodes": 4,
                "curve": [{"trajectories": 0, "return": -20.0, "success": 0.0, "minutes": 0.0},
                          {"trajectories": 8, "return": -19.0 + s, "success": 0.0, "minutes": 0.1}]} for s in (0, 1)]
    results = summarize("archer/TwentyQuestions-v0", ["ppo"], records, budget=8, seeds=2, preset="cpu")
    validate_results(results)
    assert results["algorithms"][0]["mean_return"] == pytest.approx(-18.5)
    # the gain over the start is paired by seed: each final minus its own seed's first evaluation
    records[1]["curve"][0]["return"] = -19.0  # seed 1: start -19, final -18 -> +1; seed 0: -20 -> -19, +1
    paired = summarize("archer/TwentyQuestions-v0", ["ppo"], records, budget=8, seeds=2, preset="cpu")
    assert paired["algorithms"][0]["gain_over_start"] == pytest.approx(1.0)
    assert paired["algorithms"][0]["gain_ci95"] == pytest.approx(0.0)
    # ... and over the evaluations of the budget's second half (here the final one only)
    assert paired["algorithms"][0]["late_gain_over_start"] == pytest.approx(1.0)
    assert "| PPO (token level) | -18.50 ± 6.35 | +1.00 ± 0.00 | +1.00 ± 0.00 |" in results_markdown(paired)
    with_midpoint = copy.deepcopy(records)
    with_midpoint[0]["curve"].insert(1, {"trajectories": 4, "return": -17.0, "success": 0.0, "minutes": 0.05})
    late = summarize("archer/TwentyQuestions-v0", ["ppo"], with_midpoint, budget=8, seeds=2,
                     preset="cpu")["algorithms"][0]
    assert late["late_gain_over_start"] == pytest.approx((2.0 + 1.0) / 2)  # seed 0: mean(-17, -19) - (-20) = +2
    assert late["gain_over_start"] == pytest.approx(1.0)
    legacy = copy.deepcopy(paired)  # recorded before the gains were stored: the table computes them from the runs
    for key in ("gain_over_start", "gain_ci95", "late_gain_over_start", "late_gain_ci95"):
        del legacy["algorithms"][0][key]
    validate_results(legacy)
    assert results_markdown(legacy) == results_markdown(paired)
    broken = copy.deepcopy(results)
    del broken["algorithms"][0]["mean_return"]
    with pytest.raises(jsonschema.ValidationError, match="mean_return"):
        validate_results(broken)
    broken = copy.deepcopy(results)
    broken["algorithms"][0]["success_rate"] = 1.5
    with pytest.raises(jsonschema.ValidationError):
        validate_results(broken)


RECORDED = sorted((Path(__file__).resolve().parents[1] / "baselines" / "results").rglob("results.json"))


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: str(p.parent.relative_to(p.parents[2])))
def test_every_recorded_result_validates_and_its_table_is_the_one_written_from_it(path):
    results = json.loads(path.read_text())
    validate_results(results)
    assert (path.parent / "results.md").read_text() == results_markdown(results)


def test_mean_ci95_uses_students_t_over_seeds():
    mean, ci = mean_ci95([1.0, 2.0, 3.0])
    assert mean == 2.0 and ci == pytest.approx(4.303 * 1.0 / np.sqrt(3))
    assert mean_ci95([5.0]) == (5.0, None)


def test_sample_efficiency_reports_trajectories_to_threshold_and_the_ratio():
    def row(algo, means):
        return {"algo": algo, "curve": [{"trajectories": 100 * i, "mean": m} for i, m in enumerate(means)]}

    rows = [row("archer", [-19, -18, -16.5]), row("ppo", [-19, -19, -19])]
    table = sample_efficiency(rows, [-18.0, -17.0, -10.0], budget=200)["thresholds"]
    assert table[0]["trajectories"] == {"archer": 100, "ppo": None}
    assert "ratio > 2.00" in table[0]["ratio_note"] and table[0]["ppo_over_archer"] is None
    assert table[1]["trajectories"]["archer"] == 200
    assert table[2]["ratio_note"] == "ArCHer did not reach it within the budget"
    both = sample_efficiency([row("archer", [-19, -17]), row("ppo", [-19, -18, -17])], [-17.0], budget=200)
    assert both["thresholds"][0]["ppo_over_archer"] == 2.0


def test_the_algorithm_registry_lists_its_names_without_importing_torch():
    """A CLI offers the names as choices before any model loads."""
    import subprocess
    import sys

    code = "import sys; import archer_gym.agents.algorithms as a; print(','.join(a.ALGORITHMS), 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["archer,ppo,filtered_bc,chai", "False"]


def test_every_shipped_config_names_a_registered_env_and_valid_fields():
    import gymnasium as gym

    import archer_envs  # noqa: F401
    from archer_gym.agents.algorithms import ALGORITHMS, make_algorithm_config
    from archer_gym.baselines.compare import CONFIG_DIR

    folders = sorted(p for p in CONFIG_DIR.iterdir() if p.is_dir())
    assert {p.name for p in folders} >= {"TwentyQuestions-v0", "GuessMyCity-v0", "Detective-v0", "WebShop-v0"}
    for folder in folders:
        env_id = f"archer/{folder.name}"
        assert env_id in gym.registry
        assert {p.stem for p in folder.glob("*.toml")} == set(ALGORITHMS)
        intervals, evaluations = set(), set()
        for path in folder.glob("*.toml"):
            cfg = make_algorithm_config(path.stem, "cpu", env_id, str(path))
            assert cfg.env_id == env_id
            intervals.add(cfg.eval_every)
            evaluations.add((cfg.eval_every * cfg.rollouts_per_iteration, cfg.eval_episodes))
        # every algorithm of an env is evaluated alike, at the same trajectory counts (2 iterations of 32
        # trajectories on most envs, of 16 on Jericho's game; every 8 on the Subset, whose runs are longer)
        assert intervals == {{"TwentyQuestionsSubset-v0": 8, "TwentyQuestions-v0": 4}.get(folder.name, 2)}
        assert len(evaluations) == 1, (folder.name, evaluations)
