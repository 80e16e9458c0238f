"""Process orchestration: renders the Rasa configuration, trains the model and starts,
supervises and stops the services of `make run` and the production topology.

The top floor of the house: nothing but the command line, the benchmarks and the tests
imports it (ARCHITECTURE.md).
"""
