"""Included by ``config/urls.py`` under ``escalations/``."""

from django.urls import path

from escalate.escalations import document_views

app_name = "documents"
urlpatterns = [
    path("<uuid:pk>/record.pdf", document_views.record_pdf, name="record_pdf"),
    path("<uuid:pk>/record.docx", document_views.record_docx, name="record_docx"),
    path("<uuid:pk>/summary.txt", document_views.summary_text, name="summary_text"),
    path("<uuid:pk>/print/", document_views.record_print, name="record_print"),
]
