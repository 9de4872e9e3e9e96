"""Thin Streamlit pages over the library: each page asks a service and shows the answer."""
