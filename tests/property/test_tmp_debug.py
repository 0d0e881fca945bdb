from civic_ledger.roles import BY_NAME
from .helpers import parcel_data

def test_dbg(suite, registrar, parties, agency, chain):
    manager, titles = suite["CityAccessManager"], suite["TitleRegistry"]
    manager.grantRole(BY_NAME["REGISTRAR"].id, registrar, 600, sender=agency["deployer"])
    data = bytes(titles.register.encode_input(parties["alice"].subject, parcel_data()))
    web3 = chain.provider.web3
    try:
        web3.eth.call({"from": registrar.address, "to": titles.address, "data": "0x" + data.hex()})
    except Exception as exc:
        print("EXC", type(exc), repr(exc)[:500], getattr(exc, "data", None))
    try:
        titles.register(parties["alice"].subject, parcel_data(), sender=registrar)
    except Exception as exc:
        print("EXC2", type(exc), repr(exc)[:500])
