"""Admin screens for plan data: services, archive sections, partner hospitals and clinic times, the family-doctor
roster. Plans themselves are changed on 服务计划 (each save is a new version)."""

from django.contrib import admin

from careloop.plans.models import (
    ArchiveSection,
    ClinicSession,
    Department,
    FamilyDoctor,
    PartnerHospital,
    Service,
)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "sort_order")


@admin.register(ArchiveSection)
class ArchiveSectionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "sort_order")
    list_filter = ("level",)


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 1


@admin.register(PartnerHospital)
class PartnerHospitalAdmin(admin.ModelAdmin):
    list_display = ("name", "grade", "branch", "green_channel", "active")
    list_filter = ("green_channel", "active")
    inlines = [DepartmentInline]


@admin.register(ClinicSession)
class ClinicSessionAdmin(admin.ModelAdmin):
    list_display = ("department", "weekday", "start", "end", "doctor_name", "title")
    list_filter = ("weekday",)


@admin.register(FamilyDoctor)
class FamilyDoctorAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "hospital", "title", "active")
    list_filter = ("kind", "active")
