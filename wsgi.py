from prospecting import create_app

app = create_app()
