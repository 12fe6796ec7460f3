"""The studio as a classroom lives in it: the gallery of a browser's runs, prompt token counts, the teacher view.

:mod:`devserver.classroom.runs` reads run folders into gallery summaries and details;
:mod:`devserver.classroom.teacher` is what the teacher view (admin token) sees and does.
"""
