"""`esafety users ...` and `esafety teams ...`: the organisation model that addresses alerts
(owners, team managers, heads of service).

    esafety users add USERNAME --name NAME --email ADDRESS --role ROLE [--team TEAM]
    esafety users list [--team TEAM]
    esafety teams add NAME [--manager USERNAME] [--head-of-service USERNAME]
    esafety teams list
    esafety teams set-manager TEAM --manager USERNAME [--head-of-service USERNAME]

Bad input (an unknown team or user, a bad role, a taken name) is an error on stderr with exit
status 2, and nothing is written.
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
    from workflows import errors, organisation

    if "@" not in email:
        raise _fail(f"--email {email!r}: not an email address")
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
                app.session_factory, name=name, manager_id=manager_id, head_of_service_id=head_id
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
