"""aduan-sync: the complaint-handling SOP of Kecamatan Jenawi, run on a Google Form sheet."""

__version__ = "0.1.0"
