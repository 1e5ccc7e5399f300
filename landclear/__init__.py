"""landclear: idle and low-efficiency industrial land clearance for Chinese cities."""

__version__ = "0.1.0"
