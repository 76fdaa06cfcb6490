//! Scenario files: the shipped ones validate, bad ones fail clearly.
