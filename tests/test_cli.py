"""The ``archer`` command answers a mistake with one line naming the option and what it accepts, and
exit status 2 (a click usage error), never a traceback."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from archer_gym.cli import main


def error_line(args: list[str]) -> str:
    """The one ``Error:`` line of a usage error (asserting exit status 2 and no traceback)."""
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    return errors[0]


@pytest.mark.parametrize("args", [
    ["scripted", "archer/TwentyQuestions-v0"],
    ["play", "archer/TwentyQuestions-v0"],
    ["eval", "--agent", "expert", "--env", "archer/TwentyQuestions-v0"],
])
def test_an_unknown_oracle_option_names_the_option_and_the_accepted_ones(args):
    line = error_line([*args, "--oracle-option", "x=y"])
    assert line.startswith("Error: Invalid value for --oracle-option: unknown option(s) x for the knowledge oracle")
    assert "matcher" in line and "threshold" in line


def test_an_unknown_answerer_option_of_a_match_names_the_option():
    line = error_line(["match", "--answerer-option", "x=y"])
    assert line.startswith("Error: Invalid value for --answerer-option: unknown option(s) x")


@pytest.mark.parametrize("option, value", [("--batch-size", "0"), ("--repeats", "0"), ("--repeats", "-1")])
def test_scripted_refuses_counts_below_one(option, value):
    line = error_line(["scripted", "archer/TwentyQuestions-v0", option, value])
    assert line == f"Error: Invalid value for '{option}': {value} is not in the range x>=1."


def test_scripted_on_an_env_without_scripted_policies_says_which_envs_have_them(monkeypatch):
    import dataclasses

    from archer_envs import ENVS

    # Every shipped env has scripted players now; an env registered without them (a user's own) has none.
    monkeypatch.setitem(ENVS, "archer/JerichoDetective-v0",
                        dataclasses.replace(ENVS["archer/JerichoDetective-v0"], scripted=None))
    line = error_line(["scripted", "archer/JerichoDetective-v0"])
    assert line.startswith("Error: Invalid value for ENV_ID: no scripted policies for 'archer/JerichoDetective-v0'")
    assert "archer/TwentyQuestions-v0" in line.split("they exist for")[1]


def test_serve_without_the_leaderboard_extra_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "fastapi", None)  # `import fastapi` now raises ModuleNotFoundError
    monkeypatch.delitem(sys.modules, "archer_gym.leaderboard.server", raising=False)
    line = error_line(["leaderboard", "serve", "--db", str(tmp_path / "lb.db")])
    assert line == ("Error: `main leaderboard serve` needs the optional package 'fastapi': "
                    "pip install 'archer-gym[leaderboard]'")


@pytest.mark.parametrize("setting, message", [
    ("critic_steps=abc", "invalid ArcherConfig field critic_steps='abc': expected int, got str"),
    ("iterations=2.5", "invalid ArcherConfig field iterations=2.5: expected int, got float"),
    ("max_trajectories=true", "invalid ArcherConfig field max_trajectories=True: expected int or null, got bool"),
])
def test_set_values_of_the_wrong_type_name_the_field_the_value_and_the_type(setting, message, tmp_path):
    line = error_line(["train", "archer", "--env", "archer/TwentyQuestions-v0", "--out", str(tmp_path),
                       "--set", setting])
    assert line == f"Error: {message}"


def test_config_file_values_are_type_checked_and_ints_serve_as_floats(tmp_path):
    from archer_gym.agents.algorithms.archer import make_config

    (tmp_path / "c.toml").write_text('critic_steps = "20"\n')
    with pytest.raises(ValueError, match=r"critic_steps='20': expected int, got str"):
        make_config(config_file=str(tmp_path / "c.toml"))
    cfg = make_config(bc_lr=1, gamma=None)
    assert isinstance(cfg.bc_lr, float) and cfg.bc_lr == 1.0 and cfg.gamma is None


def test_a_file_given_as_agent_is_called_a_file(tmp_path):
    (tmp_path / "model.bin").write_text("")
    line = error_line(["eval", "--agent", str(tmp_path / "model.bin"), "--env", "archer/TwentyQuestions-v0"])
    assert line.startswith(f"Error: Invalid value for --agent: agent '{tmp_path / 'model.bin'}' is a file, "
                           "not a checkpoint directory")


@pytest.mark.parametrize("args, hint", [
    (["eval", "--agent", "expert", "--env", "archer/TwentyQuestion-v0"], "'--env'"),
    (["scripted", "archer/TwentyQuestion-v0"], "'ENV_ID'"),
])
def test_an_unknown_env_names_the_option_the_id_and_the_registered_ones(args, hint):
    line = error_line(args)
    assert line.startswith(f"Error: Invalid value for {hint}: unknown env 'archer/TwentyQuestion-v0' "
                           "(did you mean archer/TwentyQuestions-v0?): "
                           "the registered envs are archer/TwentyQuestions-v0, ")


# --- archer play: help and quit cost no turn; end of input and Ctrl-C reveal the secret ------------------
def play(input_text: str, *args: str):
    return CliRunner().invoke(main, ["play", "archer/TwentyQuestions-v0", "--word", "cat", *args], input=input_text)


def test_play_help_and_quit_cost_no_turn_and_quit_reveals_the_secret():
    result = play("help\nIs it alive?\nquit\n")
    assert result.exit_code == 0, result.output
    assert "quit   give up and see the secret" in result.output
    assert result.output.count("    Yes.") == 1  # help was not sent to the oracle as a question
    assert result.output.rstrip().endswith("stopped: the word was 'Cat'; return -1")  # one turn: the question


def test_play_ends_cleanly_at_the_end_of_input_and_reveals_the_secret():
    result = play("Is it alive?\n")
    assert result.exit_code == 0 and "Aborted" not in result.output
    assert result.output.rstrip().endswith("stopped: the word was 'Cat'; return -1")


def test_play_reveals_the_secret_on_ctrl_c(monkeypatch):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr("builtins.input", interrupted)
    result = play("")
    assert result.exit_code == 130 and "Aborted" not in result.output
    assert result.output.rstrip().endswith("interrupted: the word was 'Cat'; return 0")
