"""The metric registry, KPI progress, pace and RAG, and the dashboards; on top of every app."""
