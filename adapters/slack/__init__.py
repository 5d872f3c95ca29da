"""The Slack adapter (slack-bolt AsyncApp): events in, Block Kit out. See docs/slack.md."""

from adapters.slack.app import SlackAdapter, build_slack

__all__ = ["SlackAdapter", "build_slack"]
