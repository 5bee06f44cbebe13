// SPDX-License-Identifier: EUPL-1.2
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @notice A plain OpenZeppelin ERC-20 with an owner-only mint: the gas baseline `heitje bench` measures
/// HeitjeToken against. Not deployed in production.
contract BaselineToken is ERC20, Ownable {
    constructor(address owner) ERC20("Baseline", "BASE") Ownable(owner) {}

    function decimals() public pure override returns (uint8) {
        return 2;
    }

    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
