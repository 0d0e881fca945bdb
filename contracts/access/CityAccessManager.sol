// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";

/// @title CityAccessManager
/// @notice The city's single permission authority. Every civic-ledger contract is
/// `AccessManaged` by this manager: each restricted function is mapped to one agency role
/// (see `civic_ledger/permissions.yaml`), roles carry grant and execution delays, and the
/// guardian role can cancel scheduled operations.
/// @dev Plain OpenZeppelin AccessManager; the initial admin should be a multisig or timelock
/// (the deploy script can hand the admin role over and renounce it).
contract CityAccessManager is AccessManager {
    /// @param initialAdmin The account holding ADMIN_ROLE at deployment.
    constructor(address initialAdmin) AccessManager(initialAdmin) {}
}
