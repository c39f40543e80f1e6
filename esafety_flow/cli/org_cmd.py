"""`esafety users ...` and `esafety teams ...`: the organisation model that addresses alerts
(owners, team managers, heads of service).

    esafety users add USERNAME --name NAME --email ADDRESS --role ROLE [--team TEAM]
    esafety users list [--team TEAM]
    esafety users set-password USERNAME [--password-stdin]
    esafety users issue-token USERNAME --name NAME
    esafety users tokens USERNAME
    esafety users revoke-token USERNAME TOKEN_ID
    esafety users deactivate USERNAME
    esafety teams add NAME [--manager USERNAME] [--head-of-service USERNAME]
    esafety teams list
    esafety teams set-manager TEAM --manager USERNAME [--head-of-service USERNAME]

Bad input (an unknown team or user, a bad role, a taken name, an email address that is not one,
a password the policy refuses) is an error on stderr with exit status 2, and nothing is written.
Account changes (passwords, tokens, deactivation) are `account_change` entries of the audit
trail, made "by the command line" (no user).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from esafety_flow.bootstrap import App

__all__ = ["teams_app", "users_app"]

users_app = typer.Typer(
    help="Users: practitioners, managers, heads of service.", no_args_is_help=True
)
teams_app = typer.Typer(help="Teams, their managers and heads of service.", no_args_is_help=True)

DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="Default: ESAFETY_DATABASE_URL.")
]


def _app(database_url: str | None) -> App:
    from esafety_flow.bootstrap import bootstrap
    from esafety_flow.settings import Settings

    return bootstrap(Settings() if database_url is None else Settings(database_url=database_url))


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _team_id(app: App, team: str) -> int:
    from workflows import organisation

    for t in organisation.list_teams(app.session_factory):
        if t.name == team or (team.isdigit() and t.id == int(team)):
            return t.id
    raise _fail(f"no team named {team!r} (see `esafety teams list`)")


def _user_id(app: App, username: str, option: str) -> int:
    from workflows import organisation

    for u in organisation.list_users(app.session_factory):
        if u.username == username:
            return u.id
    raise _fail(f"{option} {username!r}: no such user (see `esafety users list`)")


@users_app.command("add")
def users_add(
    username: str,
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    email: Annotated[str, typer.Option("--email", help="Where alerts are sent.")],
    role: Annotated[
        str, typer.Option("--role", help="practitioner, manager, lado, admin or auditor.")
    ],
    team: Annotated[str | None, typer.Option("--team", help="Team name.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a user."""
    from workflows import accounts, errors, organisation

    try:
        email = accounts.normalise_email(email)
    except errors.InvalidRecord as exc:
        raise _fail(f"--email: {str(exc).removeprefix('email ')}") from None
    app = _app(database_url)
    try:
        team_id = _team_id(app, team) if team is not None else None
        try:
            user_id = organisation.create_user(
                app.session_factory,
                username=username,
                display_name=name,
                email=email,
                role=role,
                team_id=team_id,
                at=app.clock.now(),
            )
        except errors.InvalidRecord as exc:
            raise _fail(str(exc)) from None
    finally:
        app.close()
    typer.echo(f"user {username} added (id {user_id})")


@users_app.command("list")
def users_list(
    team: Annotated[str | None, typer.Option("--team", help="Only this team.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """List users: id, username, role, team, email, name."""
    from workflows import organisation

    app = _app(database_url)
    try:
        team_id = _team_id(app, team) if team is not None else None
        teams = {t.id: t.name for t in organisation.list_teams(app.session_factory)}
        users = organisation.list_users(app.session_factory, team_id=team_id)
    finally:
        app.close()
    for u in users:
        team_name = teams.get(u.team_id, "-") if u.team_id is not None else "-"
        active = "" if u.active else "\t(inactive)"
        typer.echo(
            f"{u.id}\t{u.username}\t{u.role}\t{team_name}\t{u.email}\t{u.display_name}{active}"
        )


@teams_app.command("add")
def teams_add(
    name: str,
    manager: Annotated[str | None, typer.Option("--manager", help="Username.")] = None,
    head_of_service: Annotated[
        str | None, typer.Option("--head-of-service", help="Username.")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            help="The team's bank-holiday region, for its morning digest "
            "(england-and-wales, scotland, northern-ireland; default: the service's).",
        ),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a team."""
    from workflows import errors, organisation

    app = _app(database_url)
    try:
        manager_id = _user_id(app, manager, "--manager") if manager else None
        head_id = _user_id(app, head_of_service, "--head-of-service") if head_of_service else None
        try:
            team_id = organisation.create_team(
                app.session_factory,
                name=name,
                manager_id=manager_id,
                head_of_service_id=head_id,
                region=region,
            )
        except errors.InvalidRecord as exc:
            raise _fail(str(exc)) from None
    finally:
        app.close()
    typer.echo(f"team {name} added (id {team_id})")


@teams_app.command("list")
def teams_list(database_url: DatabaseUrl = None) -> None:
    """List teams: id, name, manager, head of service."""
    from workflows import organisation

    app = _app(database_url)
    try:
        users = {u.id: u.username for u in organisation.list_users(app.session_factory)}
        teams = organisation.list_teams(app.session_factory)
    finally:
        app.close()
    for t in teams:
        manager = users.get(t.manager_id, "-") if t.manager_id is not None else "-"
        head = users.get(t.head_of_service_id, "-") if t.head_of_service_id is not None else "-"
        typer.echo(f"{t.id}\t{t.name}\tmanager={manager}\thead_of_service={head}")


@teams_app.command("set-manager")
def teams_set_manager(
    team: str,
    manager: Annotated[str, typer.Option("--manager", help="Username of the team manager.")],
    head_of_service: Annotated[
        str | None,
        typer.Option("--head-of-service", help="Username; default: keep the current one."),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Set who gets the team's escalations: its manager (and head of service)."""
    from workflows import organisation

    app = _app(database_url)
    try:
        team_id = _team_id(app, team)
        manager_id = _user_id(app, manager, "--manager")
        if head_of_service is not None:
            head_id: int | None = _user_id(app, head_of_service, "--head-of-service")
        else:
            current = {t.id: t for t in organisation.list_teams(app.session_factory)}[team_id]
            head_id = current.head_of_service_id
        organisation.set_team_managers(
            app.session_factory, team_id, manager_id=manager_id, head_of_service_id=head_id
        )
    finally:
        app.close()
    typer.echo(
        f"team {team}: manager {manager}"
        + (f", head of service {head_of_service}" if head_of_service else "")
    )


def _account_id(app: App, username: str) -> int:
    from workflows import accounts

    user_id = accounts.user_id_of(app.session_factory, username)
    if user_id is None:
        raise _fail(f"{username!r}: no such user (see `esafety users list`)")
    return user_id


PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input."
    ),
]


@users_app.command("set-password")
def users_set_password(
    username: str, password_stdin: PasswordStdin = False, database_url: DatabaseUrl = None
) -> None:
    """Set a user's password (asked for twice, not echoed); every session of theirs ends.

    The policy: at least ESAFETY_PASSWORD_MIN_LENGTH characters (12), not one of the common
    passwords found in data breaches, not the username or name, not easy to guess."""
    import sys

    from workflows import accounts, errors

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    app = _app(database_url)
    try:
        user_id = _account_id(app, username)
        try:
            ended = accounts.set_password(
                app.session_factory,
                user_id=user_id,
                password=password,
                at=app.clock.now(),
                by_user_id=None,
                policy=accounts.PasswordPolicy(min_length=app.settings.password_min_length),
            )
        except errors.InvalidRecord as exc:
            raise _fail(str(exc)) from None
    finally:
        app.close()
    typer.echo(f"password of {username} set; {ended} sessions ended")


@users_app.command("issue-token")
def users_issue_token(
    username: str,
    name: Annotated[str, typer.Option("--name", help="What will use it (shown in the list).")],
    database_url: DatabaseUrl = None,
) -> None:
    """Issue an API token: printed once, on standard output (only its hash is stored)."""
    from workflows import accounts, errors

    app = _app(database_url)
    try:
        user_id = _account_id(app, username)
        try:
            token, record = accounts.issue_token(
                app.session_factory, user_id=user_id, name=name, at=app.clock.now(), by_user_id=None
            )
        except errors.InvalidRecord as exc:
            raise _fail(str(exc)) from None
    finally:
        app.close()
    typer.echo(f"token {record.id} ({record.name}) of {username}; shown only now:", err=True)
    typer.echo(token)


@users_app.command("tokens")
def users_tokens(username: str, database_url: DatabaseUrl = None) -> None:
    """List a user's tokens: id, name, issued, last used, revoked."""
    from workflows import accounts

    app = _app(database_url)
    try:
        tokens = accounts.list_tokens(app.session_factory, _account_id(app, username))
    finally:
        app.close()

    def when(value: object) -> str:
        return value.isoformat(timespec="minutes") if value is not None else "-"  # type: ignore[attr-defined]

    for t in tokens:
        typer.echo(
            f"{t.id}\t{t.name}\tissued={when(t.created_at)}\tlast_used={when(t.last_used_at)}"
            f"\trevoked={when(t.revoked_at)}"
        )


@users_app.command("revoke-token")
def users_revoke_token(
    username: str,
    token_id: Annotated[int, typer.Argument(min=1, help="The id `esafety users tokens` shows.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke one of a user's tokens: from now on it opens nothing."""
    from workflows import accounts, errors

    app = _app(database_url)
    try:
        user_id = _account_id(app, username)
        try:
            accounts.revoke_token(
                app.session_factory,
                user_id=user_id,
                token_id=token_id,
                at=app.clock.now(),
                by_user_id=None,
            )
        except errors.InvalidRecord as exc:
            raise _fail(str(exc)) from None
    finally:
        app.close()
    typer.echo(f"token {token_id} of {username} revoked")


@users_app.command("deactivate")
def users_deactivate(username: str, database_url: DatabaseUrl = None) -> None:
    """Deactivate a user: from now on they can do nothing (sessions end, tokens are revoked)."""
    from workflows import accounts, errors

    app = _app(database_url)
    try:
        user_id = _account_id(app, username)
        try:
            done = accounts.deactivate_user(
                app.session_factory,
                user_id=user_id,
                at=app.clock.now(),
                by_user_id=None,
                calendar_for=app.calendar_for,
                policy_for=app.policy_for,
            )
        except errors.InvalidRecord as exc:
            raise _fail(str(exc)) from None
    finally:
        app.close()
    typer.echo(
        f"{username} deactivated: {done.sessions_ended} sessions ended, "
        f"{done.tokens_revoked} tokens revoked, {done.cases_released} open cases to the "
        "unallocated list"
    )
