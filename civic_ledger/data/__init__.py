"""Data exchange between agencies (contracts/data/DataExchange.sol): the directory of data
resources, requests and grants, consents and exemptions, access receipts and deletions."""
