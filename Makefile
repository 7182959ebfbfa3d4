# Shortcuts; each target only calls a script in scripts/ (which also work without make).
.PHONY: demo test bench docs
demo:
	./scripts/demo
test:
	./scripts/test
bench:
	./scripts/bench
docs:
	.venv/bin/python -m posture.readme
