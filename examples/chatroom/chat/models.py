from django.db import models


class Room(models.Model):
    slug = models.SlugField(unique=True)


class Person(models.Model):
    name = models.CharField(max_length=100)


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)


class Message(models.Model):
    room = models.ForeignKey(Room, models.CASCADE, related_name="messages")
    author = models.ForeignKey(Person, models.CASCADE, related_name="messages")
    tags = models.ManyToManyField(Tag, related_name="messages", blank=True)
    text = models.TextField()

    class Meta:
        ordering = ["id"]
