"""WebShop as the benchmark knows it: the secrets are goal indices of the catalogue the env is made with."""

from __future__ import annotations

from archer_envs.descriptor import AgentPrompt, EnvDescriptor, scripted_from

# The env kwargs that choose the catalogue, hence the goals (archer_envs.webshop.env.shop).
CATALOGUE_KWARGS = ("num_products", "catalogue_seed", "data_path")


def _secrets(split: str, env_kwargs=None) -> list:
    from archer_envs.webshop.env import shop

    catalogue = {k: v for k, v in (env_kwargs or {}).items() if k in CATALOGUE_KWARGS}
    return list(shop(**catalogue)[0].goal_indices(split))


WEBSHOP = EnvDescriptor(
    id="archer/WebShop-v0",
    entry_point="archer_envs.webshop.env:WebShopEnv",
    description="An offline shop of 1,000 generated products (up to 100,000+): search[...] and click[...] to buy "
    "what the instruction asks; WebShop's reward on Buy Now, 15 steps.",
    secrets=_secrets,
    scripted=scripted_from("archer_envs.webshop.policies"),
    prompt=AgentPrompt(
        "You are shopping on WebShop for the product the instruction describes. Actions: "
        "search[<query>] on the search page, click[<button>] to click one of the page's buttons "
        "(a product id, an option value, Next >, < Prev, Back to Search, Description, Features, "
        "Reviews, Buy Now). Choose the options the instruction names, then click[Buy Now]. Reply with "
        "one action only, on one line.",
        "Your next action:",
    ),
    gamma=0.9,
)

DESCRIPTORS = (WEBSHOP,)
