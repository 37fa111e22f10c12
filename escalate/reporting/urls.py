app_name = "reporting"
urlpatterns: list[object] = []
