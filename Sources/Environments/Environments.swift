// Environments module.
