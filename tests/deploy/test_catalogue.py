"""The city catalogue (issue #14): a fresh deployment gets the declared schemas and policies and
can issue at once; a re-run sends nothing; what differs on chain is refused with a sentence;
bad YAML is refused with file:line before anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from civic_ledger.core.exceptions import CatalogueError, DeployError
from civic_ledger.core.paths import DEFAULT_CATALOGUE
from civic_ledger.deploy import DeployPlan, StepEvent
from civic_ledger.deploy.catalogue import load_catalogue
from civic_ledger.identity import records as rec_client
from civic_ledger.identity.certificates import is_certificate


def plan_for(project, networks, deployer, roles, path: Path, catalogue: Path) -> DeployPlan:
    return DeployPlan.connected(
        sender=deployer, roles=roles, manifest_path=path, catalogue=catalogue
    )


def test_fresh_deployment_can_issue_at_once(
    project, networks, deployer, roles_config, tmp_path, agency, accounts
):
    path = tmp_path / "local.json"
    plan = plan_for(project, networks, deployer, roles_config, path, DEFAULT_CATALOGUE)
    plan.run()
    registry = plan.instance("RecordRegistry")
    catalogue = load_catalogue(DEFAULT_CATALOGUE)
    for entry in catalogue.schemas:
        schema_id = int(registry.schemaIdByName(entry.name))
        assert schema_id, entry.name
        schema = registry.getSchema(schema_id)
        assert (schema.fieldLayout, bool(schema.adverse)) == (entry.layout, entry.adverse)
        if entry.dispute_stay is not None:
            assert int(schema.disputeStay) == entry.dispute_stay
        if entry.certificate is not None:
            web3 = networks.provider.web3
            assert is_certificate(web3, registry.address, schema_id) == entry.certificate
    assert any(e.certificate for e in catalogue.schemas)  # business-licence
    for policy in catalogue.policies:
        assert registry.policyExists(policy.policy_id)

    # The tax bureau issues a compliance record right away.
    from civic_ledger.identity import client as id_client

    person = id_client.Registration.new("CATALOGUE-FIRM-1", accounts[18].address, "enterprise")
    id_client.register(plan.instance("IdentityRegistry"), person, sender=agency["identity_office"])
    compliance = rec_client.resolve_schema(registry, "tax-compliance")
    data = rec_client.encode_data("uint16 year,bool compliant", {"year": 2026, "compliant": True})
    rec_client.issue(
        registry, rec_client.RecordRequest(compliance, person.subject, data=data),
        sender=agency["tax_bureau"],
    )  # fmt: skip
    assert registry.hasValidRecord(person.subject, compliance)

    # A re-run sends nothing: everything declared exists as declared.
    nonces = (deployer.nonce, agency["data_bureau"].nonce)
    events: list[StepEvent] = []
    again = plan_for(project, networks, deployer, roles_config, path, DEFAULT_CATALOGUE)
    again.report = events.append
    again.run()
    assert (deployer.nonce, agency["data_bureau"].nonce) == nonces
    assert all(e.status == "done" for e in events)


def test_a_schema_that_differs_on_chain_is_never_changed_silently(
    project, networks, deployer, roles_config, tmp_path
):
    path = tmp_path / "local.json"
    plan_for(project, networks, deployer, roles_config, path, DEFAULT_CATALOGUE).run()
    changed = tmp_path / "catalogue.yaml"
    changed.write_text(
        DEFAULT_CATALOGUE.read_text().replace(
            'layout: "uint16 year,bool compliant"', 'layout: "uint16 year"'
        )
    )
    with pytest.raises(DeployError, match=r"catalogue.yaml:\d+: schema 'tax-compliance'.*layout"):
        plan_for(project, networks, deployer, roles_config, path, changed).run()


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("schemas:\n  x:\n    issuer: TAX_COLLECTOR\n    adverse: false\n    revocable: true\n",
         ":3:", "unknown role"),
        ("schemas:\n  x:\n    issuer: TAX_RECORD_ISSUER\n    layout: \"string name\"\n"
         "    adverse: false\n    revocable: true\n", ":4:", "not a field type"),
        ("schemas:\n  x:\n    issuer: TAX_RECORD_ISSUER\n    adverse: true\n    revocable: true\n",
         ":2:", "needs a validity"),
        ("schemas:\n  x:\n    issuer: TAX_RECORD_ISSUER\n    revocable: true\n", ":2:",
         "missing 'adverse'"),
        ("policies:\n  1:\n    name: p\n    required: [nope]\n", ":4:", "not a schema"),
        ("policies:\n  0:\n    name: p\n", ":2:", "between 1 and"),
        ("schemas: [1, 2]\n", ":1:", "must be a mapping"),
        ("schemas:\n  x: {issuer: 'TAX_RECORD_ISSUER\n", ":2:", "not valid YAML"),
        ("schema:\n  x: {}\n", ":1:", "unknown key 'schema'"),
    ],
    ids=["role", "layout", "adverse-validity", "missing", "policy-schema", "policy-id",
         "not-mapping", "yaml", "top-key"],
)  # fmt: skip
def test_bad_catalogue_is_refused_with_file_and_line(tmp_path, text, line, words):
    path = tmp_path / "catalogue.yaml"
    path.write_text(text)
    with pytest.raises(CatalogueError) as refused:
        load_catalogue(path)
    message = str(refused.value)
    assert message.startswith(str(path)) and "\n" not in message
    assert line in message and words in message, message


def test_the_records_administrator_applies_the_catalogue_later(
    project, networks, deployer, roles_config, tmp_path, agency
):
    """Deployed without the catalogue; the records administrator applies it with its own
    account (`ape run deploy --catalogue-only --account ...`); the deployer sends nothing."""

    path = tmp_path / "local.json"
    plan_for(project, networks, deployer, roles_config, path, None).run()
    registry_address = plan_for(project, networks, deployer, roles_config, path, None).address_of(
        "RecordRegistry"
    )
    nonce = deployer.nonce
    DeployPlan.connected(
        sender=agency["data_bureau"], roles=roles_config, manifest_path=path,
        catalogue=DEFAULT_CATALOGUE, catalogue_only=True,
    ).run()  # fmt: skip
    registry = project.RecordRegistry.at(registry_address)
    assert registry.schemaIdByName("court-judgment") and registry.policyExists(2)
    assert deployer.nonce == nonce
