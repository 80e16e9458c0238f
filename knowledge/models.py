"""SQLAlchemy models (1.4 with the 2.0-style API). Every record carries source and as-of."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import registry, relationship
from sqlalchemy.orm.decl_api import DeclarativeMeta

mapper_registry = registry()


class Base(metaclass=DeclarativeMeta):
    """Declarative base written out so type checkers see a class (SQLAlchemy 1.4)."""

    __abstract__ = True
    registry = mapper_registry
    metadata = mapper_registry.metadata
    __init__ = mapper_registry.constructor


OFFICE_TYPES = (
    "seniorenbuero",
    "quartiersbuero",
    "begegnungsstaette",
    "pflegestuetzpunkt",
    "wohnberatung",
    "sonstiges",
)
AREA_KINDS = ("stadt", "stadtbezirk", "sozialraum", "stadtteil")
HOUR_MODES = ("in_person", "phone")
COORD_PRECISIONS = ("address", "district_centroid", "city_centroid")


class Provenance:
    """Source URL (or document), as-of text as printed on the source, example flag."""

    source = Column(Text, nullable=False)
    as_of = Column(String(200), nullable=False)
    example = Column(Boolean, nullable=False, default=False)


class Municipality(Provenance, Base):
    __tablename__ = "municipality"
    id = Column(Integer, primary_key=True)
    key = Column(String(64), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    state = Column(String(2), nullable=False)  # ISO 3166-2:DE subdivision, for holidays
    hotline_phone = Column(String(100))
    hotline_hours = Column(String(200))
    hotline_note = Column(Text)
    lat = Column(Float)
    lon = Column(Float)
    notes = Column(Text)
    content_hash = Column(String(64))

    areas = relationship("Area", back_populates="municipality", cascade="all, delete-orphan")
    offices = relationship("Office", back_populates="municipality", cascade="all, delete-orphan")
    # the municipality's own notices (an office's are Office.notices); written by the importer
    notices = relationship(
        "Notice",
        primaryjoin="and_(Municipality.id == Notice.municipality_id, Notice.office_id.is_(None))",
        order_by="(Notice.date_from, Notice.id)",
        viewonly=True,
    )


class Area(Provenance, Base):
    __tablename__ = "area"
    __table_args__ = (UniqueConstraint("municipality_id", "key"),)
    id = Column(Integer, primary_key=True)
    municipality_id = Column(ForeignKey("municipality.id", ondelete="CASCADE"), nullable=False)
    key = Column(String(100), nullable=False)
    name = Column(String(200), nullable=False)
    kind = Column(String(20), nullable=False)
    parent_id = Column(ForeignKey("area.id", ondelete="CASCADE"), index=True)
    lat = Column(Float)
    lon = Column(Float)
    notes = Column(Text)

    municipality = relationship("Municipality", back_populates="areas")
    parent = relationship("Area", remote_side=[id])
    names = relationship("AreaName", cascade="all, delete-orphan", back_populates="area")
    postal_codes = relationship(  # in file order (the export writes them so)
        "AreaPostalCode",
        cascade="all, delete-orphan",
        back_populates="area",
        order_by="AreaPostalCode.id",
    )


class AreaName(Base):
    """Name and spelling variants of an area, with a normalised form for lookup."""

    __tablename__ = "area_name"
    id = Column(Integer, primary_key=True)
    area_id = Column(ForeignKey("area.id", ondelete="CASCADE"), nullable=False, index=True)
    name = Column(String(200), nullable=False)
    norm = Column(String(200), nullable=False, index=True)
    area = relationship("Area", back_populates="names")


class AreaPostalCode(Provenance, Base):
    """A postal code that lies (partly) in an area; codes may overlap several areas.

    Ranges in the files ("44263-44269") are stored code by code, so a lookup is one
    equality match on an index.
    """

    __tablename__ = "area_postal_code"
    id = Column(Integer, primary_key=True)
    area_id = Column(ForeignKey("area.id", ondelete="CASCADE"), nullable=False, index=True)
    code = Column(String(5), nullable=False, index=True)
    area = relationship("Area", back_populates="postal_codes")


class OfficeArea(Base):
    """Catchment: the office is responsible for the area."""

    __tablename__ = "office_area"
    office_id = Column(ForeignKey("office.id", ondelete="CASCADE"), primary_key=True)
    area_id = Column(ForeignKey("area.id", ondelete="CASCADE"), primary_key=True, index=True)


class Office(Provenance, Base):
    __tablename__ = "office"
    __table_args__ = (
        UniqueConstraint("municipality_id", "key"),
        Index("ix_office_lat_lon", "lat", "lon"),
        Index("ix_office_lon", "lon"),
    )
    id = Column(Integer, primary_key=True)
    municipality_id = Column(ForeignKey("municipality.id", ondelete="CASCADE"), nullable=False)
    key = Column(String(100), nullable=False)
    name = Column(String(300), nullable=False)
    type = Column(String(30), nullable=False, index=True)
    traeger = Column(Text)
    street = Column(String(300))
    postal_code = Column(String(5))
    city = Column(String(100))
    lat = Column(Float)
    lon = Column(Float)
    coord_precision = Column(String(30))
    coord_source = Column(Text)
    phone = Column(String(100))
    phone_more = Column(Text)
    email = Column(String(200))
    web = Column(String(300))
    accessibility = Column(Text)
    languages = Column(Text)  # comma separated, e.g. "Deutsch, Türkisch"
    hours_text = Column(Text)  # the hours as printed on the source
    hours_caveat = Column(Text)  # shown to users with the hours (age, conflicts)
    closed_on_holidays = Column(Boolean, nullable=False, default=True)
    notes = Column(Text)
    # incremented by every console edit; the form sends the version it showed (knowledge.editing)
    version = Column(Integer, nullable=False, default=0, server_default="0")

    municipality = relationship("Municipality", back_populates="offices")
    areas = relationship("Area", secondary="office_area", order_by="Area.name")
    topics = relationship("OfficeTopic", cascade="all, delete-orphan", order_by="OfficeTopic.topic")
    hours = relationship(
        "OpeningHours",
        cascade="all, delete-orphan",
        order_by="(OpeningHours.weekday, OpeningHours.opens)",
    )
    exceptions = relationship(
        "OfficeException", cascade="all, delete-orphan", order_by="OfficeException.date_from"
    )
    notices = relationship(
        "Notice", cascade="all, delete-orphan", order_by="(Notice.date_from, Notice.id)"
    )


class OfficeTopic(Base):
    __tablename__ = "office_topic"
    office_id = Column(ForeignKey("office.id", ondelete="CASCADE"), primary_key=True)
    topic = Column(String(50), primary_key=True, index=True)


class OpeningHours(Provenance, Base):
    """A weekly consultation slot in local (Europe/Berlin) wall-clock time."""

    __tablename__ = "opening_hours"
    id = Column(Integer, primary_key=True)
    office_id = Column(ForeignKey("office.id", ondelete="CASCADE"), nullable=False, index=True)
    weekday = Column(Integer, nullable=False)  # 0 = Monday
    opens = Column(Time, nullable=False)
    closes = Column(Time, nullable=False)
    mode = Column(String(20), nullable=False, default="in_person")
    appointment_only = Column(Boolean, nullable=False, default=False)


class OfficeException(Provenance, Base):
    """Closed days or special hours for a date range (inclusive)."""

    __tablename__ = "office_exception"
    id = Column(Integer, primary_key=True)
    office_id = Column(ForeignKey("office.id", ondelete="CASCADE"), nullable=False, index=True)
    date_from = Column(Date, nullable=False)
    date_to = Column(Date, nullable=False)
    closed = Column(Boolean, nullable=False, default=True)
    opens = Column(Time)
    closes = Column(Time)
    note = Column(Text)


class KnowledgeRevision(Base):
    """One row (id 1): incremented by every import that changes something, in the same
    transaction, so in-memory look-up tables (knowledge.lookup) know when they are stale."""

    __tablename__ = "knowledge_revision"
    id = Column(Integer, primary_key=True, autoincrement=False)
    revision = Column(Integer, nullable=False, default=0)


class Notice(Provenance, Base):
    """A current notice ("Aktueller Hinweis") of an office, or of the whole municipality when
    office_id is NULL; the bot shows it from date_from to date_to (inclusive)."""

    __tablename__ = "notice"
    id = Column(Integer, primary_key=True)
    municipality_id = Column(
        ForeignKey("municipality.id", ondelete="CASCADE"), nullable=False, index=True
    )
    office_id = Column(ForeignKey("office.id", ondelete="CASCADE"), index=True)
    date_from = Column(Date, nullable=False)
    date_to = Column(Date, nullable=False)
    text = Column(Text, nullable=False)


class EditRevision(Base):
    """One change made in the console: who, when, what, and the office (or the municipality's
    notices when office_key is NULL) before and after, in the file format (JSON)."""

    __tablename__ = "edit_revision"
    id = Column(Integer, primary_key=True)
    municipality_id = Column(
        ForeignKey("municipality.id", ondelete="CASCADE"), nullable=False, index=True
    )
    office_key = Column(String(100), index=True)
    account = Column(String(200), nullable=False)
    created_at = Column(DateTime, nullable=False)
    summary = Column(Text, nullable=False)
    before = Column(Text, nullable=False)
    after = Column(Text, nullable=False)
    reverts_id = Column(Integer)  # the revision this one took back
    reverted_by_id = Column(Integer)  # set when a later revision took this one back
