"""The compiled contracts' names: how the manifest, the deploy plan and every client name them."""

from __future__ import annotations

MANAGER = "CityAccessManager"
IDENTITY_REGISTRY = "IdentityRegistry"
RECORD_REGISTRY = "RecordRegistry"
TOKEN = "CityToken"
TITLE_REGISTRY = "TitleRegistry"
LIEN_REGISTRY = "LienRegistry"
PROPERTY_TAX = "PropertyTax"
GRANT_FUND = "GrantFund"
DATA_EXCHANGE = "DataExchange"
PROXY = "CityProxy"
