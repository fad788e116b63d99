"""maskcli: see the padding, causal and combined attention masks your pipeline really builds."""

__version__ = "0.1.0"
